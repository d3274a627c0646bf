/**
 * Optimizers: {@link io.github.microgpt.optim.AdamOptimizer} and the
 * {@link io.github.microgpt.optim.LearningRateSchedule} it follows.
 */
package io.github.microgpt.optim;
