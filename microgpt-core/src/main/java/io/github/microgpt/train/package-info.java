/**
 * Training: the {@link io.github.microgpt.train.Trainer}, its step modes (one document, one
 * position, or a {@link io.github.microgpt.train.Minibatch} of documents), and the listener hooks
 * and events that let a program watch every position and step.
 */
package io.github.microgpt.train;
