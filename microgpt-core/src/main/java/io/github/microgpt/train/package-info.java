/**
 * Training: the {@link io.github.microgpt.train.Trainer}, its step modes (one document, one
 * position, or a {@link io.github.microgpt.train.Minibatch} of documents), and the listener hooks
 * and events that let a program watch every position and step.
 * {@link io.github.microgpt.train.Evaluation} computes the loss on documents without training;
 * {@link io.github.microgpt.train.TrainerState} is how far a trainer got (a checkpoint saves it);
 * a loss that is no longer a number stops training with a
 * {@link io.github.microgpt.train.TrainingDivergedException} naming the step and the document.
 *
 * <p>The events ({@link io.github.microgpt.train.StepEvent},
 * {@link io.github.microgpt.train.PositionEvent}, {@link io.github.microgpt.train.GradientEvent})
 * are made by the trainer only: final classes read by their accessors, with no public constructor,
 * so that a later release can add an accessor without breaking a listener. The settings a program
 * makes ({@link io.github.microgpt.train.Minibatch}, {@link io.github.microgpt.train.TrainerState})
 * are records, whose components change only in a major release.
 *
 * <p><b>The listeners' contract</b>, the same for every hook of the library
 * ({@link io.github.microgpt.train.Trainer}'s position, gradient and step listeners, {@code Sampler}'s
 * token and sample listeners, a model's attention listeners):
 * <ul>
 *   <li>a listener is told synchronously, on the thread that makes the event (the one that calls
 *       {@code step}, {@code sample} or the forward pass), which waits for it to return;</li>
 *   <li>listeners of one kind are told in the order they were added; one added twice hears every
 *       event twice, and each remove takes one registration away;</li>
 *   <li>they may be added and removed from any thread, and from inside a listener: an event goes
 *       to the listeners there were when its telling began, so a change counts from the next
 *       event;</li>
 *   <li>if one throws, the later listeners of that event are not told and the exception reaches
 *       the caller ({@link io.github.microgpt.train.Trainer}: a position or gradient listener's
 *       failure leaves the step not applied, a step listener's an applied step);</li>
 *   <li>an event is a value: its array accessors return new copies, so a listener may keep or
 *       change what it reads without another listener seeing it (the events' element readers,
 *       such as {@code probability(tokenId)}, read one number without the copy).</li>
 * </ul>
 */
package io.github.microgpt.train;
