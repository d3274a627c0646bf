package io.github.microgpt.internal;

import io.github.microgpt.text.Tokenizer;
import java.util.List;

/**
 * Documents turned into the tokens a model reads, {@code [BOS] + characters + [BOS]} each, with
 * the errors the trainer and the evaluation report alike: which document is empty, which has a
 * character outside the vocabulary.
 */
public final class DocumentTokens {

    private DocumentTokens() {
    }

    /**
     * Encodes every document.
     *
     * @param tokenizer the tokenizer
     * @param documents the documents
     * @return the tokens of each document, in order
     * @throws IllegalArgumentException naming the first document that is empty or has a character
     *     outside the vocabulary
     */
    public static int[][] encode(Tokenizer tokenizer, List<String> documents) {
        int[][] tokens = new int[documents.size()][];
        for (int i = 0; i < tokens.length; i++) {
            String document = documents.get(i);
            if (document.isEmpty()) {
                throw new IllegalArgumentException("document " + i + " is empty");
            }
            try {
                tokens[i] = tokenizer.encodeDocument(document);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("document " + i + ": " + e.getMessage(), e);
            }
        }
        return tokens;
    }
}
