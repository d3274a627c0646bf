/**
 * Short programs that teach how microgpt works, each readable in one sitting and runnable from
 * the built jar, in the order of a course:
 * <ol>
 *   <li>{@link io.github.microgpt.examples.NeuronExample} — one neuron, its gradients and one
 *       step of gradient descent, with nothing but {@code Value};</li>
 *   <li>{@link io.github.microgpt.examples.GraphExample} — the graph behind a neuron, before and
 *       after {@code backward()}, as text, SVG and DOT;</li>
 *   <li>{@link io.github.microgpt.examples.BigramExample},
 *       {@link io.github.microgpt.examples.MlpExample},
 *       {@link io.github.microgpt.examples.AttentionExample},
 *       {@link io.github.microgpt.examples.GptExample} — the progression of models, each trained
 *       by the same trainer on the same names, and
 *       {@link io.github.microgpt.examples.ProgressionExample}, all four side by side;</li>
 *   <li>{@link io.github.microgpt.examples.EditGptExample} — the GPT's forward pass copied, one
 *       line changed, trained and compared;</li>
 *   <li>{@link io.github.microgpt.examples.LookingInsideExample} — predictions after a prefix and
 *       the held-out loss, before and after training;</li>
 *   <li>{@link io.github.microgpt.examples.TrainAndSampleExample} — training a GPT and sampling
 *       names through the public API.</li>
 * </ol>
 * The command line lives in {@link io.github.microgpt.examples.cli}.
 */
package io.github.microgpt.examples;
