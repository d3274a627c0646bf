package io.github.microgpt.train;

/**
 * How much one training step covers. Both kinds start where the trainer is in its documents, so
 * they can be mixed: the documents are trained in order, every position once per pass (see
 * {@link Trainer}, "Where a step starts").
 */
public enum StepMode {
    /**
     * One document per step, as {@code microgpt.py}: the loss is the mean over all positions of
     * the document (up to the block size), then one update. In a run of document steps alone,
     * step {@code s} trains document {@code s mod numDocs}. After position steps that stopped
     * part-way through a document, the step trains the rest of that document (the loss is the
     * mean over the rest), and the next one starts the following document.
     */
    DOCUMENT,
    /**
     * One position per step, as the web simulator steps by default: the model reads the document
     * up to one position, the loss is that position's alone, then one update. The steps walk the
     * positions of a document in order, then move to the next document.
     */
    POSITION
}
