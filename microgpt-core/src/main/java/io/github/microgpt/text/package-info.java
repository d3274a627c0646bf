/**
 * Text: the character {@link io.github.microgpt.text.Tokenizer} and the
 * {@link io.github.microgpt.text.Documents} to train on (files, URLs, the embedded names), with a
 * {@link io.github.microgpt.text.DataSource} to say where a run's documents came from (a
 * checkpoint records it, to read them again on resume). {@link io.github.microgpt.text.VisibleText}
 * quotes text with its invisible characters made visible, as the library's messages do.
 */
package io.github.microgpt.text;
