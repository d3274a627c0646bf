package io.github.microgpt.internal;

import io.github.microgpt.text.Tokenizer;
import java.util.Arrays;
import java.util.List;

/**
 * Documents turned into the tokens a model reads, {@code [BOS] + characters + [BOS]} each, with
 * the errors the trainer and the evaluation report alike: which document is empty, which has a
 * character outside the vocabulary.
 *
 * <p>A trainer uses an instance ({@link #check}): every document is checked up front, so that a
 * mistake is reported before the run, but a document's tokens are made only when its step comes,
 * and only as many as the model's context can read. Kept for all documents at once, the tokens
 * would cost an array per document: a data file of millions of one-letter lines then needed
 * gigabytes of heap for arrays that a run of 1,000 steps mostly never reads.
 */
public final class DocumentTokens {

    /** What a check returns in place of tokens: nothing is kept. */
    private static final int[] NONE = new int[0];

    private final Tokenizer tokenizer;
    private final List<String> documents;
    private final int[] byteIds;
    private final int maxTokens;

    private DocumentTokens(Tokenizer tokenizer, List<String> documents, int maxTokens) {
        this.tokenizer = tokenizer;
        this.documents = documents;
        this.byteIds = byteIds(tokenizer);
        this.maxTokens = maxTokens;
    }

    /**
     * Checks every document and returns their tokens, to be made one document at a time.
     *
     * @param tokenizer the tokenizer
     * @param documents the documents; the list is kept, not copied, so it must not change
     * @param maxTokens the most tokens of a document that will be read (a model's block size + 1:
     *     its context and the last target); at least 2
     * @return the documents' tokens
     * @throws IllegalArgumentException naming the first document that is empty or has a character
     *     outside the vocabulary, or if {@code maxTokens < 2}
     */
    public static DocumentTokens check(Tokenizer tokenizer, List<String> documents, int maxTokens) {
        if (maxTokens < 2) {
            throw new IllegalArgumentException("a document is read as at least 2 tokens, got " + maxTokens);
        }
        DocumentTokens tokens = new DocumentTokens(tokenizer, documents, maxTokens);
        for (int i = 0; i < documents.size(); i++) {
            tokens.encode(i, false);
        }
        return tokens;
    }

    /**
     * The number of documents.
     *
     * @return how many documents there are
     */
    public int size() {
        return documents.size();
    }

    /**
     * The tokens of document {@code i}, {@code [BOS] + characters + [BOS]}, cut to the first
     * {@code maxTokens}; a new array each call.
     *
     * @param i the document's index
     * @return its tokens
     * @throws IndexOutOfBoundsException if there is no document {@code i}
     */
    public int[] tokens(int i) {
        return encode(i, true);
    }

    /**
     * Encodes every document, whole.
     *
     * @param tokenizer the tokenizer
     * @param documents the documents
     * @return the tokens of each document, in order
     * @throws IllegalArgumentException naming the first document that is empty or has a character
     *     outside the vocabulary
     */
    public static int[][] encode(Tokenizer tokenizer, List<String> documents) {
        DocumentTokens all = new DocumentTokens(tokenizer, documents, Integer.MAX_VALUE);
        int[][] tokens = new int[documents.size()][];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = all.encode(i, true);
        }
        return tokens;
    }

    /**
     * The ids of the vocabulary's one-byte characters, -1 for the others. Most documents are
     * short and of such characters: their ids come from this table in one loop, which the JIT
     * compiles early; the tokenizer's own per-document path (code points, a binary search) costs
     * some 30-60 ms on the 32,000 names of a start-up, still in the interpreter. Anything else, a
     * mistake included, goes the tokenizer's way.
     */
    private static int[] byteIds(Tokenizer tokenizer) {
        int[] ids = new int[256];
        Arrays.fill(ids, -1);
        // The vocabulary is sorted, so its one-byte characters come first and their ids are their indexes.
        String characters = tokenizer.characters();
        for (int id = 0; id < characters.length() && characters.charAt(id) < ids.length; id++) {
            ids[characters.charAt(id)] = id;
        }
        return ids;
    }

    /**
     * Encodes document {@code i}, or with {@code keep} false only checks it (every character is
     * looked at either way, so a check finds what an encoding would).
     */
    private int[] encode(int i, boolean keep) {
        String document = documents.get(i);
        if (document == null) {
            // Named as the trainer, the tokenizer and DataFingerprint name it (an evaluation
            // failed on "document" is null, with no index).
            throw new NullPointerException("documents[" + i + "]");
        }
        int length = document.length();
        if (length == 0) {
            throw new IllegalArgumentException("document " + i + " is empty");
        }
        int kept = keep ? (int) Math.min(length + 2L, maxTokens) : 0;
        int[] encoded = keep ? new int[kept] : NONE;
        if (kept > 0) {
            encoded[0] = tokenizer.bos();
        }
        for (int k = 0; k < length; k++) {
            char c = document.charAt(k);
            int id = c < byteIds.length ? byteIds[c] : -1;
            if (id < 0) {
                return slowly(i, document, keep);
            }
            if (k + 1 < kept) {
                encoded[k + 1] = id;
            }
        }
        if (length + 1 < kept) {
            encoded[length + 1] = tokenizer.bos();
        }
        return encoded;
    }

    /** The tokenizer's way: characters beyond one byte, or one outside the vocabulary. */
    private int[] slowly(int i, String document, boolean keep) {
        try {
            int[] all = tokenizer.encodeDocument(document);
            // Counted in code points here: a character beyond 16 bits is two chars of the String.
            return keep ? Arrays.copyOf(all, Math.min(all.length, maxTokens)) : NONE;
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("document " + i + ": " + e.getMessage(), e);
        }
    }
}
