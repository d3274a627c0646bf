package io.github.microgpt.text;

import java.util.Arrays;
import java.util.Collection;
import java.util.Objects;
import java.util.TreeSet;

/**
 * A character-level tokenizer: every distinct character of the training documents is one token,
 * plus one special token, BOS (beginning of sequence), that marks where a document starts and ends.
 *
 * <p>The characters are sorted by code point and numbered from 0, so for the lowercase names
 * {@code 'a'} is 0, {@code 'z'} is 25 and BOS is 26; the vocabulary has 27 tokens. This is the
 * tokenizer of {@code microgpt.py}: {@code uchars = sorted(set(''.join(docs)))}.
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class Tokenizer {

    private final int[] codePoints;

    private Tokenizer(int[] sortedCodePoints) {
        this.codePoints = sortedCodePoints;
    }

    /**
     * Builds the vocabulary of a collection of documents: the sorted set of their characters.
     *
     * @param documents the training documents
     * @return the tokenizer
     * @throws IllegalArgumentException if the documents contain no character at all
     */
    public static Tokenizer fromDocuments(Collection<String> documents) {
        Objects.requireNonNull(documents, "documents");
        // One-byte characters, almost always all there are, are marked in a table; a loop over
        // chars rather than a stream of boxed code points into a set, because this runs at the
        // start of a run, in the interpreter, over every character of the data.
        boolean[] small = new boolean[256];
        int smallCount = 0;
        TreeSet<Integer> others = new TreeSet<>();
        for (String document : documents) {
            Objects.requireNonNull(document, "a document is null");
            for (int i = 0; i < document.length(); ) {
                char c = document.charAt(i);
                if (c < small.length) {
                    if (!small[c]) {
                        small[c] = true;
                        smallCount++;
                    }
                    i++;
                } else {
                    int codePoint = document.codePointAt(i);
                    others.add(codePoint);
                    i += Character.charCount(codePoint);
                }
            }
        }
        if (smallCount + others.size() == 0) {
            throw new IllegalArgumentException("cannot build a vocabulary: the documents contain no characters");
        }
        int[] sorted = new int[smallCount + others.size()];
        int n = 0;
        for (int c = 0; c < small.length; c++) {
            if (small[c]) {
                sorted[n++] = c;
            }
        }
        for (int codePoint : others) {
            sorted[n++] = codePoint;
        }
        return new Tokenizer(sorted);
    }

    /**
     * Builds a tokenizer from its characters, for example as stored with a trained model.
     *
     * @param characters the vocabulary; each character once, in any order (they are sorted)
     * @return the tokenizer
     * @throws IllegalArgumentException if {@code characters} is empty or repeats a character
     */
    public static Tokenizer ofCharacters(String characters) {
        Objects.requireNonNull(characters, "characters");
        int[] sorted = characters.codePoints().sorted().toArray();
        if (sorted.length == 0) {
            throw new IllegalArgumentException("a vocabulary needs at least one character");
        }
        for (int i = 1; i < sorted.length; i++) {
            if (sorted[i] == sorted[i - 1]) {
                throw new IllegalArgumentException("the vocabulary repeats the character "
                        + describe(sorted[i]));
            }
        }
        return new Tokenizer(sorted);
    }

    /**
     * The id of the BOS token, which is one more than the id of the last character.
     *
     * @return the BOS id
     */
    public int bos() {
        return codePoints.length;
    }

    /**
     * The number of tokens: the characters plus BOS.
     *
     * @return the vocabulary size
     */
    public int vocabSize() {
        return codePoints.length + 1;
    }

    /**
     * The characters of the vocabulary in token-id order ({@code uchars} in the Python).
     *
     * @return the characters as one string
     */
    public String characters() {
        return new String(codePoints, 0, codePoints.length);
    }

    /**
     * The token id of each character of a text (no BOS is added).
     *
     * @param text the text to encode
     * @return one id per character (per code point)
     * @throws IllegalArgumentException naming the character and its index if a character is not
     *     in the vocabulary
     */
    public int[] encode(String text) {
        Objects.requireNonNull(text, "text");
        int[] points = codePoints(text);
        int[] ids = new int[points.length];
        for (int i = 0; i < points.length; i++) {
            int id = Arrays.binarySearch(codePoints, points[i]);
            if (id < 0) {
                throw new IllegalArgumentException("character " + describe(points[i]) + " at index " + i
                        + " of \"" + oneLine(text) + "\" is not in the vocabulary \"" + oneLine(characters()) + "\"");
            }
            ids[i] = id;
        }
        return ids;
    }

    /**
     * The code points of a text, as {@code text.codePoints().toArray()} gives them (an unpaired
     * surrogate is one code point), without a stream: sampling encodes its prompt, and a
     * stream's first use in a run costs some milliseconds of class loading and setting up.
     */
    private static int[] codePoints(String text) {
        int[] points = new int[text.codePointCount(0, text.length())];
        for (int i = 0, n = 0; n < points.length; n++) {
            int c = text.codePointAt(i);
            points[n] = c;
            i += Character.charCount(c);
        }
        return points;
    }

    /**
     * A document as the model trains on it: {@code [BOS] + encode(document) + [BOS]}.
     *
     * @param document the document
     * @return its tokens, two longer than the document
     * @throws IllegalArgumentException if a character is not in the vocabulary
     */
    public int[] encodeDocument(String document) {
        Objects.requireNonNull(document, "document");
        int[] ids = encode(document);
        int[] tokens = new int[ids.length + 2];
        tokens[0] = bos();
        System.arraycopy(ids, 0, tokens, 1, ids.length);
        tokens[tokens.length - 1] = bos();
        return tokens;
    }

    /**
     * The text of a sequence of token ids. BOS tokens are skipped, since they are not characters.
     *
     * @param ids token ids
     * @return the text
     * @throws IllegalArgumentException if an id is outside {@code [0, vocabSize())}
     */
    public String decode(int... ids) {
        Objects.requireNonNull(ids, "ids");
        StringBuilder text = new StringBuilder(ids.length);
        for (int i = 0; i < ids.length; i++) {
            checkId(ids[i], i);
            if (ids[i] != bos()) {
                text.appendCodePoint(codePoints[ids[i]]);
            }
        }
        return text.toString();
    }

    /**
     * A readable form of one token: its character, or {@code "<BOS>"}.
     *
     * @param id a token id
     * @return the token's text
     * @throws IllegalArgumentException if the id is outside {@code [0, vocabSize())}
     */
    public String tokenText(int id) {
        checkId(id, 0);
        return id == bos() ? "<BOS>" : new String(codePoints, id, 1);
    }

    private void checkId(int id, int index) {
        if (id < 0 || id >= vocabSize()) {
            throw new IllegalArgumentException("token id " + id + " at index " + index
                    + " is outside the vocabulary [0, " + vocabSize() + ")");
        }
    }

    private static String describe(int codePoint) {
        return String.format("'%s' (U+%04X)", oneLine(new String(Character.toChars(codePoint))), codePoint);
    }

    /**
     * Text for an error message that stays on one line: control characters and line or
     * paragraph separators are written as a backslash, {@code u} and four hexadecimal digits, so
     * that a line break in a prefix cannot cut the message (a command line prints only its first
     * line).
     */
    private static String oneLine(String text) {
        StringBuilder out = new StringBuilder(text.length());
        text.codePoints().forEach(c -> {
            if (Character.isISOControl(c) || c == 0x2028 || c == 0x2029) {
                out.append(String.format("\\u%04X", c));
            } else {
                out.appendCodePoint(c);
            }
        });
        return out.toString();
    }

    /**
     * Shows the vocabulary.
     *
     * @return for example {@code Tokenizer[vocabSize=27, characters="ab…z"]}
     */
    @Override
    public String toString() {
        return "Tokenizer[vocabSize=" + vocabSize() + ", characters=\"" + characters() + "\"]";
    }
}
