package io.github.microgpt.train;

import io.github.microgpt.internal.ModelChecks;

/**
 * The shape of one minibatch step of a {@link Trainer}: how many documents it averages over, and
 * over how many threads it may spread them.
 *
 * <pre>{@code
 * trainer.stepBatch(Minibatch.of(8));                  // 8 documents, on the calling thread
 * trainer.stepBatch(Minibatch.of(8).withThreads(2));   // the same step, on up to 2 threads
 * }</pre>
 *
 * <p>Start from {@link #of(int)} and name the threads with {@link #withThreads(int)}, so that a
 * call says which number is which; the canonical constructor takes the size first. (The size
 * is a count, as {@code DataFingerprint.documentCount()} is; {@link Trainer#documents()} is the
 * list of documents itself.)
 *
 * <p>The number of threads never changes a result: the documents' gradients are summed in
 * document order whatever it is (see
 * {@link io.github.microgpt.model.LanguageModel#batchLossAndGradients}). What a model does with
 * it:
 * <ul>
 * <li>an {@link io.github.microgpt.model.ArrayGptModel} in
 *     {@link io.github.microgpt.model.Precision#F64} spreads the documents over up to
 *     {@code threads} threads (never more than the documents), unless it has an attention
 *     listener: listeners are told on the calling thread, so it then runs them all there;
 * <li>an {@code ArrayGptModel} in {@link io.github.microgpt.model.Precision#F32} only checks it:
 *     it runs the documents one after another, each step on the threads of its own
 *     {@link io.github.microgpt.model.ArrayGptModel#setThreads};
 * <li>the models over {@link io.github.microgpt.autograd.Value}s only check it, and run on the
 *     calling thread.
 * </ul>
 *
 * @param size the number of documents of the step (the batch size), from 1 to {@value #MAX_SIZE}
 * @param threads the most threads the step may spread its documents over (see above for which
 *     models do); from 1 to 256, the most a model takes
 */
public record Minibatch(int size, int threads) {

    /**
     * The largest number of documents a step takes, 65,536: far more than one step needs, and few
     * enough that the batch's bookkeeping can never exhaust the memory. (Not to be confused with
     * {@link io.github.microgpt.text.Documents#MAX_DOCUMENTS}, the most documents a data file may
     * hold.)
     */
    public static final int MAX_SIZE = 1 << 16;

    /**
     * Checks the shape.
     *
     * @param size the number of documents, from 1 to {@value #MAX_SIZE}
     * @param threads the most threads the step may spread its documents over; from 1 to 256
     * @throws IllegalArgumentException if {@code size} is outside
     *     {@code [1, MAX_SIZE]} or {@code threads} outside {@code [1, 256]}, naming the value
     */
    public Minibatch {
        if (size < 1 || size > MAX_SIZE) {
            throw new IllegalArgumentException("the number of documents of a minibatch must be from 1 to "
                    + MAX_SIZE + ", got " + size);
        }
        // The bound every model's batch step checks (LanguageModel.batchLossAndGradients), here
        // too, so that a minibatch no model can run is refused where it is made.
        if (threads < 1 || threads > ModelChecks.MAX_THREADS) {
            throw new IllegalArgumentException("the number of threads of a minibatch must be from 1 to "
                    + ModelChecks.MAX_THREADS + ", got " + threads);
        }
    }

    /**
     * A minibatch of {@code size} documents, computed on the calling thread.
     *
     * @param size the number of documents, from 1 to {@value #MAX_SIZE}
     * @return the minibatch
     * @throws IllegalArgumentException if {@code size} is out of range
     */
    public static Minibatch of(int size) {
        return new Minibatch(size, 1);
    }

    /**
     * This minibatch on another number of threads.
     *
     * @param newThreads the most threads the step may spread its documents over (see the class
     *     description for which models do); from 1 to 256
     * @return a new minibatch with the same documents
     * @throws IllegalArgumentException if {@code newThreads} is outside {@code [1, 256]}
     */
    public Minibatch withThreads(int newThreads) {
        return new Minibatch(size, newThreads);
    }
}
