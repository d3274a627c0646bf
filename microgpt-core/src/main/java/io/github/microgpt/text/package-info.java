/**
 * Text: the character {@link io.github.microgpt.text.Tokenizer} and the
 * {@link io.github.microgpt.text.Documents} to train on (files, URLs, the embedded names).
 */
package io.github.microgpt.text;
