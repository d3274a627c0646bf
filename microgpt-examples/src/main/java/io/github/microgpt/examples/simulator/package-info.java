/**
 * The web simulator: a page in the browser on which a person watches microgpt learn one position
 * at a time and generate names one token at a time, while the model itself runs in the JVM.
 *
 * <p>{@link io.github.microgpt.examples.simulator.SimulatorCommand} ({@code microgpt simulator})
 * starts a {@link io.github.microgpt.examples.simulator.SimulatorServer} on 127.0.0.1. The server
 * holds one {@link io.github.microgpt.examples.simulator.SimulatorSession}: a real
 * {@code GptModel}, {@code Trainer} and {@code Sampler} from microgpt-core. Everything the page
 * shows is read from the core's listener hooks ({@code TrainingListener},
 * {@code GenerationListener}, {@code AttentionObserver}) during real steps, and pushed to the page
 * as Server-Sent Events.
 */
package io.github.microgpt.examples.simulator;
