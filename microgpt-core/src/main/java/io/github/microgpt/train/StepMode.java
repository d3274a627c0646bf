package io.github.microgpt.train;

/** How much one training step covers. */
public enum StepMode {
    /**
     * One document per step, as {@code microgpt.py}: the loss is the mean over all positions of
     * the document (up to the block size), then one update. Step {@code s} trains document
     * {@code s mod numDocs}.
     */
    DOCUMENT,
    /**
     * One position per step, as the web simulator steps by default: the model reads the document
     * up to one position, the loss is that position's alone, then one update. The steps walk the
     * positions of a document in order, then move to the next document.
     */
    POSITION
}
