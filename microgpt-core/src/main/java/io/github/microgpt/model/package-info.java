/**
 * The GPT: its configuration ({@link io.github.microgpt.model.GptConfig}), the engine-neutral
 * {@link io.github.microgpt.model.LanguageModel} that trainers and samplers use, and
 * {@link io.github.microgpt.model.GptModel}, the model built from {@code Value}s.
 */
package io.github.microgpt.model;
