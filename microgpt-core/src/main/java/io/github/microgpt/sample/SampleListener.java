package io.github.microgpt.sample;

/**
 * Hears about every finished sample of a {@link Sampler}. Register one with
 * {@link Sampler#addSampleListener}:
 *
 * <pre>{@code
 * sampler.addSampleListener(e -> System.out.println(e.sampleNumber() + ": " + e.text()));
 * }</pre>
 *
 * <p>It runs on the generating thread, which waits for it, in the order the listeners were added
 * (the contract in full: {@link io.github.microgpt.sample}), and should return quickly.
 */
@FunctionalInterface
public interface SampleListener {

    /**
     * Called when a sample ends (BOS was drawn, or the block size or the maximum length was
     * reached), after the listeners of its last token.
     *
     * @param event the sample
     */
    void onSample(SampleEvent event);
}
