package io.github.microgpt.text;

import io.github.microgpt.internal.Quoted;
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
     * @throws IllegalArgumentException if the documents contain no character at all, or a
     *     character no document may hold ({@link Documents#isRefusedCharacter}: a control character
     *     other than the tab, a line or paragraph separator, an unpaired surrogate, a byte-order
     *     mark), named with the index of its document and its index there
     * @throws NullPointerException if {@code documents} or one of them is null, naming it
     *     ({@code "documents[3]"}, in the collection's iteration order)
     */
    public static Tokenizer fromDocuments(Collection<String> documents) {
        Objects.requireNonNull(documents, "documents");
        // One-byte characters, almost always all there are, are marked in a table; a loop over
        // chars rather than a stream of boxed code points into a set, because this runs at the
        // start of a run, in the interpreter, over every character of the data.
        boolean[] small = new boolean[256];
        int smallCount = 0;
        TreeSet<Integer> others = new TreeSet<>();
        int index = 0;
        for (String document : documents) {
            if (document == null) {
                throw new NullPointerException("documents[" + index + "]"); // named as Trainer names it
            }
            index++;
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
        for (int codePoint : sorted) {
            if (Documents.isRefusedCharacter(codePoint)) {
                throw refused(documents, codePoint);
            }
        }
        return new Tokenizer(sorted);
    }

    /**
     * The refusal of a character no document may hold, found in the vocabulary of
     * {@code documents}: they are read again to say where it first is, which only a refusal pays for.
     */
    private static IllegalArgumentException refused(Collection<String> documents, int codePoint) {
        int index = 0;
        for (String document : documents) {
            for (int i = 0; i < document.length(); ) {
                int c = document.codePointAt(i);
                if (c == codePoint) {
                    return new IllegalArgumentException("document " + index + " (from 0) holds "
                            + Documents.describeRefused(codePoint) + " at index " + i + "; " + Documents.ALLOWED
                            + ", and a token is a character of a document");
                }
                i += Character.charCount(c);
            }
            index++;
        }
        throw new AssertionError("U+" + Integer.toHexString(codePoint) + " is in the vocabulary of the documents");
    }

    /**
     * Builds a tokenizer from its characters, for example as stored with a trained model.
     *
     * @param characters the vocabulary; each character once, in any order (they are sorted)
     * @return the tokenizer
     * @throws IllegalArgumentException if {@code characters} is empty, repeats a character, or
     *     holds a character no document may hold ({@link Documents#isRefusedCharacter}, the rule
     *     of {@link #fromDocuments} too: a control character other than the tab, a line or
     *     paragraph separator, an unpaired surrogate, a byte-order mark), named with its index
     */
    public static Tokenizer ofCharacters(String characters) {
        Objects.requireNonNull(characters, "characters");
        int[] sorted = characters.codePoints().sorted().toArray();
        if (sorted.length == 0) {
            throw new IllegalArgumentException("a vocabulary needs at least one character");
        }
        for (int i = 0; i < characters.length(); ) {
            int codePoint = characters.codePointAt(i);
            if (Documents.isRefusedCharacter(codePoint)) {
                throw new IllegalArgumentException("the vocabulary holds " + Documents.describeRefused(codePoint)
                        + " at index " + i + "; " + Documents.ALLOWED + ", and a token is a character of a document");
            }
            i += Character.charCount(codePoint);
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
        int[] ids = new int[text.codePointCount(0, text.length())];
        // Without an array of the code points first: a text is read once, and a text that fails
        // fails at its first unknown character, whatever its length.
        for (int i = 0, n = 0; n < ids.length; n++) {
            int c = text.codePointAt(i);
            int id = Arrays.binarySearch(codePoints, c);
            if (id < 0) {
                throw new IllegalArgumentException("character " + describe(c) + " at index " + n + " of "
                        + quoted(text, i) + " is not in the vocabulary " + quoted(characters(), 0));
            }
            ids[n] = id;
            i += Character.charCount(c);
        }
        return ids;
    }

    /** How many characters of a text a message quotes at most, before it cuts the text short. */
    private static final int QUOTED_CHARS = 100;

    /**
     * A text as a message quotes it: as a Java string literal ({@link Quoted#literal}: hidden
     * characters escaped, a backslash doubled and a {@code "} written {@code \"}, so that a quote in
     * the text cannot end the quotation early); a text of more than {@value #QUOTED_CHARS}
     * characters only around the place a message speaks of, with its length, so that a text of
     * megabytes is refused in a message of one line.
     *
     * @param text the text
     * @param at the index (of a {@code char}) the message is about
     */
    private static String quoted(String text, int at) {
        if (text.length() <= QUOTED_CHARS) {
            return Quoted.literal(text);
        }
        int from = Math.max(0, Math.min(at - QUOTED_CHARS / 2, text.length() - QUOTED_CHARS));
        int to = from + QUOTED_CHARS;
        // Not between the halves of a pair.
        if (from > 0 && Character.isLowSurrogate(text.charAt(from))) {
            from++;
        }
        if (to < text.length() && Character.isLowSurrogate(text.charAt(to))) {
            to--;
        }
        return Quoted.excerpt(text, from, to);
    }

    /**
     * A document as the model trains on it: {@code [BOS] + encode(document) + [BOS]}. The first
     * BOS gives the first character something to be predicted from (so the model learns how
     * names begin), and the last is itself a target (so it learns when a name ends, which is how
     * a sample knows to stop). For the lowercase names, {@code "emma"} becomes
     * {@code [26, 4, 12, 12, 0, 26]}.
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

    /**
     * One character as a message names it: as a Java character literal (hidden characters escaped,
     * a backslash doubled, a quote written {@code \'}, so that the quote character reads
     * {@code '\''}, not three quotes in a row) and its code point.
     */
    private static String describe(int codePoint) {
        String escaped = VisibleText.escape(new String(Character.toChars(codePoint))).replace("'", "\\'");
        return String.format("'%s' (U+%04X)", escaped, codePoint);
    }

    /**
     * Whether another tokenizer has the same vocabulary: the same characters, and so the same
     * token ids. Two tokenizers built from the same documents, or one from documents and one from
     * its {@link #characters()}, are equal: either encodes and decodes as the other.
     *
     * @param other another object
     * @return true if it is a tokenizer of the same characters
     */
    @Override
    public boolean equals(Object other) {
        return other instanceof Tokenizer that && Arrays.equals(codePoints, that.codePoints);
    }

    /**
     * A hash of the characters, consistent with {@link #equals}.
     *
     * @return the hash code
     */
    @Override
    public int hashCode() {
        return Arrays.hashCode(codePoints);
    }

    /**
     * Shows the vocabulary: its size, BOS included, and its characters in token order, quoted as a
     * Java string literal ({@code \"} for a quote, {@code \\} for a backslash, a character that
     * would not show, such as a tab or a line break, as a {@code \}{@code uXXXX} escape).
     *
     * @return for example {@code Tokenizer[vocabSize=27, characters="abcdefghijklmnopqrstuvwxyz"]}
     */
    @Override
    public String toString() {
        return "Tokenizer[vocabSize=" + vocabSize() + ", characters=" + Quoted.literal(characters()) + "]";
    }
}
