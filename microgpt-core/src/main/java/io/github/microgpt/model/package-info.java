/**
 * The GPT: its configuration ({@link io.github.microgpt.model.GptConfig}), the engine-neutral
 * {@link io.github.microgpt.model.LanguageModel} that trainers and samplers use, and its two
 * engines, chosen with {@link io.github.microgpt.model.Engine}:
 * {@link io.github.microgpt.model.GptModel}, built from {@code Value}s (the one to read), and
 * {@link io.github.microgpt.model.ArrayGptModel}, over arrays with hand-written backward passes
 * (the fast one). {@link io.github.microgpt.model.FlopCount} counts the floating-point operations
 * of a step, for turning speeds into GFLOP/s.
 */
package io.github.microgpt.model;
