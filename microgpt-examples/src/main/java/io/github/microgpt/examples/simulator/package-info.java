/**
 * The web simulator: a page in the browser on which a person watches microgpt learn one position
 * at a time and generate names one token at a time, while the model itself runs in the JVM.
 *
 * <p>{@link io.github.microgpt.examples.simulator.SimulatorCommand} ({@code microgpt simulator})
 * starts a {@link io.github.microgpt.examples.simulator.SimulatorServer} on 127.0.0.1. The server
 * holds one {@link io.github.microgpt.examples.simulator.SimulatorSession}: a real
 * {@code GptModel}, {@code Trainer} and {@code Sampler} from microgpt-core. Everything the page
 * shows is read from the core's listener hooks ({@code PositionListener}, {@code StepListener},
 * {@code TokenListener}, {@code SampleListener}, {@code AttentionListener}) during real steps, and pushed to the page
 * as Server-Sent Events.
 *
 * <p>The page can save the model under a name and load it back later (Save model / Load model):
 * a {@code CheckpointStore} keeps one {@code io.github.microgpt.checkpoint.Checkpoint} directory
 * per name in the folder of {@code microgpt simulator --checkpoints DIR}, so a model trained in the
 * simulator can also be used by {@code microgpt generate} and resumed by {@code microgpt train}.
 */
package io.github.microgpt.examples.simulator;
