package io.github.microgpt.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.testing.Cases;
import io.github.microgpt.testing.Gen;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** The character tokenizer of microgpt.py ({@code uchars}, {@code BOS}): vocabulary, encode and decode. */
class TokenizerTest {

    /** Code points to draw from: ASCII, Latin-1, Greek, CJK, and characters outside the BMP. */
    private static final int[] POOL = buildPool();

    private static int[] buildPool() {
        List<Integer> pool = new ArrayList<>();
        for (int c = 'a'; c <= 'z'; c++) {
            pool.add(c);
        }
        for (int c : new int[] {' ', '-', '\'', '0', '9', 'A', 'Z', 0xE9, 0xF1, 0xDF, 0x3BB, 0x3A9, 0x4E2D, 0x6587,
                                0x1F600, 0x1F680, 0x10348, 0x20BB7, 0x1D11E}) {
            pool.add(c);
        }
        return pool.stream().mapToInt(Integer::intValue).toArray();
    }

    @Test
    void tokenizersOfTheSameCharactersAreEqual() {
        Tokenizer fromDocuments = Tokenizer.fromDocuments(List.of("emma", "olivia"));
        Tokenizer again = Tokenizer.fromDocuments(List.of("olivia", "emma", "ave"));
        Tokenizer ofCharacters = Tokenizer.ofCharacters("viloame");
        assertEquals(fromDocuments, again, "the same vocabulary from other documents");
        assertEquals(fromDocuments, ofCharacters, "the same vocabulary from its characters");
        assertEquals(fromDocuments.hashCode(), ofCharacters.hashCode());
        assertNotEquals(fromDocuments, Tokenizer.ofCharacters("aeilmo"), "one character fewer");
        assertNotEquals(fromDocuments, Tokenizer.ofCharacters("aeilmovz"), "one character more");
        assertNotEquals(fromDocuments, fromDocuments.characters(), "a string is no tokenizer");
    }

    /** A random vocabulary and a random text over it. */
    record TextCase(String vocabulary, String text) {
    }

    private static TextCase randomText(Gen g) {
        int[] picks = g.distinct(g.intIn(1, 20), POOL.length);
        int[] vocabulary = Arrays.stream(picks).map(i -> POOL[i]).toArray();
        return new TextCase(new String(vocabulary, 0, vocabulary.length), g.string(vocabulary, g.intIn(0, 30)));
    }

    @TestFactory
    Stream<DynamicTest> encodeThenDecodeGivesTheTextBack() {
        return Cases.dynamicTests("tokenizer round trip", 300, TokenizerTest::randomText, c -> {
            Tokenizer tokenizer = Tokenizer.ofCharacters(c.vocabulary());
            int[] ids = tokenizer.encode(c.text());
            assertEquals(c.text().codePointCount(0, c.text().length()), ids.length, "one id per code point");
            for (int id : ids) {
                assertTrue(id >= 0 && id < tokenizer.bos(), "id " + id);
            }
            assertEquals(c.text(), tokenizer.decode(ids));
            // Ids follow the code points' order, and the id of a character is its rank.
            int[] points = c.text().codePoints().toArray();
            int[] sorted = c.vocabulary().codePoints().sorted().toArray();
            for (int i = 0; i < ids.length; i++) {
                assertEquals(Arrays.binarySearch(sorted, points[i]), ids[i]);
                assertEquals(new String(Character.toChars(points[i])), tokenizer.tokenText(ids[i]));
            }
        });
    }

    @TestFactory
    Stream<DynamicTest> vocabularyIsTheSortedSetOfTheDocumentsCharacters() {
        return Cases.dynamicTests("vocabulary of documents", 200, g -> {
            List<String> documents = new ArrayList<>();
            int count = g.intIn(1, 6);
            for (int i = 0; i < count; i++) {
                documents.add(randomText(g).text() + new String(Character.toChars(POOL[g.intIn(0, POOL.length - 1)])));
            }
            return documents;
        }, documents -> {
            Tokenizer tokenizer = Tokenizer.fromDocuments(documents);
            TreeSet<Integer> set = new TreeSet<>();
            documents.forEach(d -> d.codePoints().forEach(set::add));
            int[] expected = set.stream().mapToInt(Integer::intValue).toArray();
            assertEquals(new String(expected, 0, expected.length), tokenizer.characters());
            assertEquals(expected.length, tokenizer.bos());
            assertEquals(expected.length + 1, tokenizer.vocabSize());
            assertEquals("<BOS>", tokenizer.tokenText(tokenizer.bos()));
            // Building from the characters, in any order, gives the same tokenizer.
            List<Integer> shuffled = new ArrayList<>(set);
            java.util.Collections.reverse(shuffled);
            StringBuilder reversed = new StringBuilder();
            shuffled.forEach(reversed::appendCodePoint);
            assertEquals(tokenizer.characters(), Tokenizer.ofCharacters(reversed.toString()).characters());
            for (String document : documents) {
                int[] tokens = tokenizer.encodeDocument(document);
                int[] ids = tokenizer.encode(document);
                assertEquals(ids.length + 2, tokens.length);
                assertEquals(tokenizer.bos(), tokens[0]);
                assertEquals(tokenizer.bos(), tokens[tokens.length - 1]);
                assertArrayEquals(ids, Arrays.copyOfRange(tokens, 1, tokens.length - 1));
                assertEquals(document, tokenizer.decode(tokens), "decode skips BOS");
            }
        });
    }

    @Test
    void namesVocabularyHas27Tokens() {
        Tokenizer tokenizer = Tokenizer.fromDocuments(List.of("emma", "olivia", "ava", "quinn", "zoey", "xavier",
                "jackson", "liam", "noah", "mason", "lucas", "ben", "kyle", "grace", "ruth", "tyler", "david", "faith", "pearl", "wendy"));
        assertEquals("abcdefghijklmnopqrstuvwxyz", tokenizer.characters());
        assertEquals(26, tokenizer.bos());
        assertEquals(27, tokenizer.vocabSize());
        assertArrayEquals(new int[] {26, 0, 21, 0, 26}, tokenizer.encodeDocument("ava"));
    }

    @TestFactory
    Stream<DynamicTest> anUnknownCharacterIsNamedWithItsIndex() {
        return Cases.dynamicTests("unknown character", 200, g -> {
            TextCase known = randomText(g);
            int unknown;
            do {
                unknown = POOL[g.intIn(0, POOL.length - 1)];
            } while (known.vocabulary().indexOf(new String(Character.toChars(unknown))) >= 0);
            int[] text = known.text().codePoints().toArray();
            int at = g.intIn(0, text.length);
            StringBuilder s = new StringBuilder();
            for (int i = 0; i < text.length; i++) {
                if (i == at) {
                    s.appendCodePoint(unknown);
                }
                s.appendCodePoint(text[i]);
            }
            if (at == text.length) {
                s.appendCodePoint(unknown);
            }
            return new Object[] {known.vocabulary(), s.toString(), unknown, at};
        }, c -> {
            Tokenizer tokenizer = Tokenizer.ofCharacters((String) c[0]);
            int unknown = (int) c[2];
            int at = (int) c[3];
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> tokenizer.encode((String) c[1]));
            // Named as a Java character literal: the quote character as '\''.
            String character = unknown == '\'' ? "\\'" : new String(Character.toChars(unknown));
            assertTrue(e.getMessage().contains("'" + character + "'"), "names the character: " + e.getMessage());
            assertTrue(e.getMessage().contains(String.format("U+%04X", unknown)), "names the code point: " + e.getMessage());
            assertTrue(e.getMessage().contains("index " + at), "names the index " + at + ": " + e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> tokenizer.encodeDocument((String) c[1]));
        });
    }

    @Test
    void decodeRejectsIdsOutsideTheVocabulary() {
        Tokenizer tokenizer = Tokenizer.ofCharacters("abc");
        for (int bad : new int[] {-1, 4, 100, Integer.MIN_VALUE}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> tokenizer.decode(0, bad));
            assertTrue(e.getMessage().contains("token id " + bad) && e.getMessage().contains("index 1"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> tokenizer.tokenText(bad));
        }
        assertEquals("", tokenizer.decode(3, 3), "BOS alone decodes to nothing");
    }

    @Test
    void ofCharactersRejectsDuplicatesAndEmpty() {
        IllegalArgumentException duplicate = assertThrows(IllegalArgumentException.class,
                () -> Tokenizer.ofCharacters("abca"));
        assertTrue(duplicate.getMessage().contains("'a'"), duplicate.getMessage());
        IllegalArgumentException supplementary = assertThrows(IllegalArgumentException.class,
                () -> Tokenizer.ofCharacters("x\uD83D\uDE00y\uD83D\uDE00"));
        assertTrue(supplementary.getMessage().contains("U+1F600"), supplementary.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Tokenizer.ofCharacters(""));
    }

    @Test
    void fromDocumentsRejectsDocumentsWithoutCharacters() {
        assertThrows(IllegalArgumentException.class, () -> Tokenizer.fromDocuments(List.of()));
        assertThrows(IllegalArgumentException.class, () -> Tokenizer.fromDocuments(List.of("", "")));
    }

    /** A line break or other control character in the text stays escaped in the message, so it is one line. */
    @Test
    void anUnknownControlCharacterIsNamedOnOneLine() {
        Tokenizer tokenizer = Tokenizer.ofCharacters("ab");
        for (String bad : List.of("a\nb", "a\rb", "a\tb", "a\u2028b", "a\u0000b")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> tokenizer.encode(bad));
            int unknown = bad.codePointAt(1);
            assertTrue(e.getMessage().contains(String.format("'\\u%04X' (U+%04X) at index 1", unknown, unknown)),
                    e.getMessage());
            assertTrue(e.getMessage().codePoints().noneMatch(c -> Character.isISOControl(c) || c == 0x2028),
                    "one printable line: " + e.getMessage());
        }
    }

    /**
     * A character a reader cannot see (zero-width space, byte-order mark, a bidirectional
     * override, a no-break space, a soft hyphen) is escaped where the message names it and where
     * it quotes the text: shown as itself it looked like nothing, or reordered the message.
     */
    @Test
    void anUnknownInvisibleCharacterIsShownEscaped() {
        Tokenizer tokenizer = Tokenizer.ofCharacters("ab");
        for (int hidden : new int[] {0x200B, 0xFEFF, 0x202E, 0x2066, 0x00A0, 0x00AD, 0x061C, 0xE0001}) {
            String bad = "a" + new String(Character.toChars(hidden)) + "b";
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> tokenizer.encode(bad));
            String escaped = bad.substring(1, bad.length() - 1).chars().mapToObj(c -> String.format("\\u%04X", c))
                    .collect(java.util.stream.Collectors.joining());
            assertEquals("character '" + escaped + "' (U+" + String.format("%04X", hidden) + ") at index 1 of \"a"
                    + escaped + "b\" is not in the vocabulary \"ab\"", e.getMessage());
        }
    }

    /** A long text is quoted around the unknown character, with its length: not megabytes of message. */
    @Test
    void aLongTextIsQuotedOnlyAroundTheUnknownCharacter() {
        Tokenizer tokenizer = Tokenizer.ofCharacters("ab");
        String text = "a".repeat(1_000_000) + "Q" + "b".repeat(1_000_000);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> tokenizer.encode(text));
        assertEquals("character 'Q' (U+0051) at index 1000000 of \"…" + "a".repeat(50) + "Q" + "b".repeat(49)
                + "…\" (2000001 characters) is not in the vocabulary \"ab\"", e.getMessage());
        IllegalArgumentException first = assertThrows(IllegalArgumentException.class,
                () -> tokenizer.encode("Q" + "a".repeat(500)));
        assertTrue(first.getMessage().startsWith("character 'Q' (U+0051) at index 0 of \"Q" + "a".repeat(99) + "…\" (501"
                + " characters)"), first.getMessage());
    }

    /**
     * A quote inside a quoted text or vocabulary is escaped, as in a Java literal: the message
     * quoted {@code "a"Qb"} and {@code ""ab"} before, where the quote looked like the end of the
     * quotation; the quote character was named as three quotes in a row.
     */
    @Test
    void aQuoteInTheTextOrTheVocabularyIsEscaped() {
        Tokenizer tokenizer = Tokenizer.ofCharacters("a\"b\\");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> tokenizer.encode("a\"Qb"));
        assertEquals("character 'Q' (U+0051) at index 2 of \"a\\\"Qb\" is not in the vocabulary \"\\\"\\\\ab\"",
                e.getMessage());
        IllegalArgumentException apostrophe = assertThrows(IllegalArgumentException.class,
                () -> tokenizer.encode("a'b"));
        assertEquals("character '\\'' (U+0027) at index 1 of \"a'b\" is not in the vocabulary \"\\\"\\\\ab\"",
                apostrophe.getMessage());
        IllegalArgumentException repeated = assertThrows(IllegalArgumentException.class,
                () -> Tokenizer.ofCharacters("a''"));
        assertEquals("the vocabulary repeats the character '\\'' (U+0027)", repeated.getMessage());
        // Cut short around the unknown character, the quotes inside still escaped.
        IllegalArgumentException longText = assertThrows(IllegalArgumentException.class,
                () -> tokenizer.encode("\"".repeat(500) + "Q" + "\"".repeat(500)));
        assertEquals("character 'Q' (U+0051) at index 500 of \"…" + "\\\"".repeat(50) + "Q" + "\\\"".repeat(49)
                + "…\" (1001 characters) is not in the vocabulary \"\\\"\\\\ab\"", longText.getMessage());
    }

    /**
     * A tokenizer holds its characters to the rule of the documents ({@link
     * Documents#isRefusedCharacter}), for every code point, built either way: {@code
     * ofCharacters("a\uD83D")} took an unpaired surrogate that no data file, text or checkpoint
     * takes, so a vocabulary made in code failed only at the save at the end of a run.
     */
    @Test
    void aTokenizerRefusesExactlyTheCharactersNoDocumentMayHold() {
        for (int cp = 0; cp <= Character.MAX_CODE_POINT; cp++) {
            String character = new String(Character.toChars(cp));
            boolean refused;
            try {
                Tokenizer.ofCharacters("a".equals(character) ? "b" : "a" + character);
                refused = false;
            } catch (IllegalArgumentException e) {
                refused = true;
            }
            if (refused != Documents.isRefusedCharacter(cp)) {
                assertEquals(Documents.isRefusedCharacter(cp), refused, String.format("ofCharacters, U+%04X", cp));
            }
        }
        for (int cp : new int[] {0x00, 0x0A, 0x1B, 0x7F, 0x85, 0x2028, 0x2029, 0xD83D, 0xDE00, 0xFEFF}) {
            String character = new String(Character.toChars(cp));
            IllegalArgumentException of = assertThrows(IllegalArgumentException.class,
                    () -> Tokenizer.ofCharacters("a" + character));
            assertTrue(of.getMessage().startsWith("the vocabulary holds "), of.getMessage());
            assertTrue(of.getMessage().contains(String.format("U+%04X", cp)), of.getMessage());
            assertTrue(of.getMessage().contains(" at index 1; a document is a line of text, which may hold a tab but"
                    + " no other control character"), of.getMessage());
            IllegalArgumentException from = assertThrows(IllegalArgumentException.class,
                    () -> Tokenizer.fromDocuments(List.of("ab", "xyz", "xy" + character + "z" + character)));
            assertTrue(from.getMessage().startsWith("document 2 (from 0) holds "), from.getMessage());
            assertTrue(from.getMessage().contains(String.format("U+%04X", cp)), from.getMessage());
            assertTrue(from.getMessage().contains(" at index 2; "), from.getMessage());
        }
        IllegalArgumentException lone = assertThrows(IllegalArgumentException.class,
                () -> Tokenizer.ofCharacters("a\uD83D"));
        assertEquals("the vocabulary holds an unpaired surrogate (half of a pair, no character by itself) U+D83D at"
                + " index 1; a document is a line of text, which may hold a tab but no other control character, no"
                + " line or paragraph separator, no unpaired surrogate and no byte-order mark, and a token is a"
                + " character of a document", lone.getMessage());
        // A pair is one character, and a tab is text.
        assertEquals(3, Tokenizer.ofCharacters("a\uD83D\uDE00\t").bos());
        assertEquals(3, Tokenizer.fromDocuments(List.of("a\t\uD83D\uDE00")).bos());
    }
}
