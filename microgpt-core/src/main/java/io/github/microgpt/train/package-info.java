/**
 * Training: the {@link io.github.microgpt.train.Trainer}, its step modes, and the listener hooks
 * and events that let a program watch every position and step.
 */
package io.github.microgpt.train;
