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
 */
package io.github.microgpt.train;
