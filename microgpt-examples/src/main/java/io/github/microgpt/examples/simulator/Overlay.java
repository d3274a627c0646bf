package io.github.microgpt.examples.simulator;

/**
 * What the architecture diagram's overlay shows: the position the model just read, its context,
 * and what came out. In training mode it comes from the trainer's {@code PositionEvent}; in
 * generation mode from the sampler's {@code TokenEvent}.
 *
 * @param generation whether this is a generated token (else a trained position)
 * @param step the training step (training mode), or 0
 * @param perDocument whether the training step covered the whole document
 * @param posId the position read
 * @param context the tokens read, from BOS up to and including the one at {@code posId}
 * @param inputToken the token at {@code posId}
 * @param targetToken the token the model should predict (training), or -1
 * @param outputToken the target (training) or the token drawn (generation)
 * @param document the document trained on (training), or {@code null}
 * @param loss the position's loss (training), or NaN
 * @param probabilities the predicted distribution of the next token (after the temperature,
 *     when generating)
 * @param temperature the sampling temperature (generation), or NaN
 * @param sample the number of the sample (generation), or 0
 * @param sampleText the sample's text so far, including the drawn token (generation), or {@code null}
 * @param sampleDone whether the drawn token ended the sample (generation)
 */
record Overlay(boolean generation, int step, boolean perDocument, int posId, int[] context, int inputToken,
               int targetToken, int outputToken, String document, double loss, double[] probabilities,
               double temperature, int sample, String sampleText, boolean sampleDone) {
}
