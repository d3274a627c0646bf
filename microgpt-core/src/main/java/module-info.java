/**
 * microgpt: a tiny GPT trained from first principles, reproducing Karpathy's {@code microgpt.py}
 * exactly.
 *
 * <ul>
 *   <li>{@link io.github.microgpt.autograd} — {@code Value}, the scalar autograd engine;</li>
 *   <li>{@link io.github.microgpt.text} — the character {@code Tokenizer} and the
 *       {@code Documents} to train on;</li>
 *   <li>{@link io.github.microgpt.model} — {@code GptConfig} and the two engines, {@code GptModel}
 *       (scalar autograd) and {@code ArrayGptModel} (flat arrays);</li>
 *   <li>{@link io.github.microgpt.optim} — {@code AdamOptimizer} and learning-rate schedules;</li>
 *   <li>{@link io.github.microgpt.sample} — the {@code Sampler} that generates text;</li>
 *   <li>{@link io.github.microgpt.train} — the {@code Trainer} and its listener hooks;</li>
 *   <li>{@link io.github.microgpt.random} — the random source, with a port of CPython's;</li>
 *   <li>{@link io.github.microgpt.checkpoint} — saving and loading models, resuming training.</li>
 * </ul>
 */
module io.github.microgpt {
    exports io.github.microgpt.autograd;
    exports io.github.microgpt.checkpoint;
    exports io.github.microgpt.model;
    exports io.github.microgpt.optim;
    exports io.github.microgpt.random;
    exports io.github.microgpt.sample;
    exports io.github.microgpt.text;
    exports io.github.microgpt.train;
}
