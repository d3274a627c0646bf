/**
 * The web simulator: a page in the browser on which a person watches microgpt learn one position
 * at a time and generate names one token at a time, while the model itself runs in the JVM.
 *
 * <p>{@link io.github.microgpt.examples.simulator.SimulatorCommand} ({@code microgpt simulator})
 * starts a {@link io.github.microgpt.examples.simulator.SimulatorServer} (an embedded Jetty) on
 * 127.0.0.1. The server reads each request's body into a record ({@code Requests}) and hands it
 * to {@code Commands}, which change the one {@link io.github.microgpt.examples.simulator.SimulatorSession}
 * under its lock; every limit is in one table ({@code Limits}, per engine for the model's shape).
 * The session holds a {@code ModelRun}: a real model of either engine ({@code GptModel} or
 * {@code ArrayGptModel}), {@code Trainer} and {@code Sampler} from microgpt-core. Everything the
 * page shows is read from the core's hooks ({@code PositionListener}, {@code GradientListener},
 * {@code StepListener}, {@code TokenListener}, {@code SampleListener}, {@code AttentionListener})
 * during real steps, published as an immutable {@code Snapshot}, and pushed to the page as
 * Server-Sent Events ({@code EventStream}).
 *
 * <p>The page can save the model under a name and load it back later (Save model / Load model):
 * {@code RunCheckpoints} writes and reads one {@code io.github.microgpt.checkpoint.Checkpoint}
 * directory per name in the folder of {@code microgpt simulator --checkpoints DIR}
 * ({@code CheckpointStore}), so a model trained in the simulator can also be used by
 * {@code microgpt generate} and resumed by {@code microgpt train}.
 */
package io.github.microgpt.examples.simulator;
