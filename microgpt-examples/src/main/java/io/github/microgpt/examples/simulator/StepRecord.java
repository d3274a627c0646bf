package io.github.microgpt.examples.simulator;

/**
 * One line of the training log: a finished step as the trainer's listeners saw it.
 *
 * @param step the step number, from 1
 * @param loss the step's loss (before the update)
 * @param learningRate the learning rate of the update
 * @param document the document trained on
 * @param posId the position trained; for a per-document step -1 if it trained the whole document, or the
 *     first position it trained if it finished a document that position steps began
 * @param perDocument whether the step covered the whole document
 */
record StepRecord(int step, double loss, double learningRate, String document, int posId, boolean perDocument) {
}
