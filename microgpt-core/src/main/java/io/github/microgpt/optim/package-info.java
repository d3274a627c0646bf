/**
 * Optimizers: {@link io.github.microgpt.optim.AdamOptimizer}, set up with
 * {@link io.github.microgpt.optim.AdamSettings} (a record changed by name, from the Python's
 * defaults), and the {@link io.github.microgpt.optim.LearningRateSchedule} it follows.
 */
package io.github.microgpt.optim;
