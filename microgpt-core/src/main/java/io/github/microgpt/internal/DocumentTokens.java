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
        // Most documents are short and of one-byte characters: their ids come from a table, in
        // this one loop, which the JIT compiles early; the tokenizer's own per-document path
        // (code points, a binary search) costs some 30-60 ms on the 32,000 names of a start-up,
        // still in the interpreter. Anything else, a mistake included, goes the tokenizer's way.
        int[] ids = new int[256];
        java.util.Arrays.fill(ids, -1);
        // The vocabulary is sorted, so its one-byte characters come first and their ids are their indexes.
        String characters = tokenizer.characters();
        for (int id = 0; id < characters.length() && characters.charAt(id) < ids.length; id++) {
            ids[characters.charAt(id)] = id;
        }
        int bos = tokenizer.bos();
        int[][] tokens = new int[documents.size()][];
        for (int i = 0; i < tokens.length; i++) {
            String document = documents.get(i);
            if (document.isEmpty()) {
                throw new IllegalArgumentException("document " + i + " is empty");
            }
            int length = document.length();
            int[] encoded = new int[length + 2];
            encoded[0] = bos;
            encoded[length + 1] = bos;
            for (int k = 0; k < length; k++) {
                char c = document.charAt(k);
                int id = c < ids.length ? ids[c] : -1;
                if (id < 0) {
                    encoded = null;
                    break;
                }
                encoded[k + 1] = id;
            }
            if (encoded == null) {
                try {
                    encoded = tokenizer.encodeDocument(document);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("document " + i + ": " + e.getMessage(), e);
                }
            }
            tokens[i] = encoded;
        }
        return tokens;
    }
}
