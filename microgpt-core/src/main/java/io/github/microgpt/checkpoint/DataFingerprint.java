package io.github.microgpt.checkpoint;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;

/**
 * Identifies the documents of a training run, in training order, without storing them: their
 * number and a SHA-256 hash. A checkpoint records it so that a resumed run can check it is fed
 * the same documents in the same order; otherwise "step 501" would train a different document
 * than the uninterrupted run did, and the resumed run would silently differ.
 *
 * <p>The hash is SHA-256 over, for each document in order, the length of its UTF-8 encoding as a
 * 4-byte big-endian integer followed by those bytes. (The lengths make the encoding
 * unambiguous: {@code ["ab", "c"]} and {@code ["a", "bc"]} hash differently.) In Python:
 * <pre>{@code
 * h = hashlib.sha256()
 * for d in docs:
 *     b = d.encode("utf-8"); h.update(len(b).to_bytes(4, "big")); h.update(b)
 * h.hexdigest()
 * }</pre>
 *
 * <p>Its count is {@link #documentCount()}, a number, where {@code Trainer.documents()} is the
 * list itself.
 *
 * @param documentCount the number of documents; not negative
 * @param sha256 the hash, 64 lowercase hexadecimal digits
 */
public record DataFingerprint(int documentCount, String sha256) {

    /**
     * Checks the values.
     *
     * @param documentCount the number of documents; not negative
     * @param sha256 the hash, 64 lowercase hexadecimal digits
     * @throws IllegalArgumentException if the count is negative or the hash is not 64 lowercase
     *     hexadecimal digits
     * @throws NullPointerException if {@code sha256} is null
     */
    public DataFingerprint {
        Objects.requireNonNull(sha256, "sha256");
        if (documentCount < 0) {
            throw new IllegalArgumentException("the number of documents must not be negative, got " + documentCount);
        }
        if (!sha256.matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException("a SHA-256 hash is 64 lowercase hexadecimal digits, got " + sha256);
        }
    }

    /**
     * The fingerprint of a list of documents, in the given order.
     *
     * @param documents the documents in training order (after shuffling)
     * @return their fingerprint
     * @throws NullPointerException if {@code documents} or one of them is null, naming it
     *     ({@code "documents[3]"})
     */
    public static DataFingerprint of(List<String> documents) {
        Objects.requireNonNull(documents, "documents");
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
        ByteBuffer length = ByteBuffer.allocate(4);
        int index = 0;
        for (String document : documents) {
            if (document == null) {
                throw new NullPointerException("documents[" + index + "]"); // named as Trainer names it
            }
            index++;
            byte[] bytes = document.getBytes(StandardCharsets.UTF_8);
            digest.update(length.clear().putInt(bytes.length).array());
            digest.update(bytes);
        }
        return new DataFingerprint(documents.size(), HexFormat.of().formatHex(digest.digest()));
    }
}
