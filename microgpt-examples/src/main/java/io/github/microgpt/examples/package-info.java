/**
 * Short programs that teach how microgpt works, each readable in one sitting and runnable from
 * the built jar:
 * <ul>
 *   <li>{@link io.github.microgpt.examples.NeuronExample} — one neuron, its gradients and one
 *       step of gradient descent, with nothing but {@code Value};</li>
 *   <li>{@link io.github.microgpt.examples.TrainAndSampleExample} — training a GPT and sampling
 *       names through the public API.</li>
 * </ul>
 * The command line lives in {@link io.github.microgpt.examples.cli}.
 */
package io.github.microgpt.examples;
