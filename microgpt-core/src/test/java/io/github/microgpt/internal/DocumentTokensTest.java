package io.github.microgpt.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.text.Tokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The trainer's documents: checked whole up front, encoded one at a time and only as far as a model reads. */
class DocumentTokensTest {

    /** One-byte letters, a two-byte letter and one beyond 16 bits (two chars of a String). */
    private static final String[] LETTERS = {"a", "b", "z", "é", "\uD83D\uDE00"};

    private static List<String> randomDocuments(Random random, int count, int maxLength) {
        List<String> documents = new ArrayList<>();
        for (int d = 0; d < count; d++) {
            StringBuilder document = new StringBuilder();
            int length = 1 + random.nextInt(maxLength);
            // Half the documents of one-byte letters only: those take the table's way.
            int letters = d % 2 == 0 ? 3 : LETTERS.length;
            for (int k = 0; k < length; k++) {
                document.append(LETTERS[random.nextInt(letters)]);
            }
            documents.add(document.toString());
        }
        return documents;
    }

    @Test
    void aDocumentsTokensAreTheTokenizersCutToWhatTheModelReads() {
        Random random = new Random(7);
        List<String> documents = randomDocuments(random, 400, 30);
        Tokenizer tokenizer = Tokenizer.fromDocuments(documents);
        for (int maxTokens : new int[] {2, 3, 5, 17, 33, 1000}) {
            DocumentTokens tokens = DocumentTokens.check(tokenizer, documents, maxTokens);
            assertEquals(documents.size(), tokens.size());
            for (int i = 0; i < documents.size(); i++) {
                int[] whole = tokenizer.encodeDocument(documents.get(i));
                int[] expected = Arrays.copyOf(whole, Math.min(whole.length, maxTokens));
                assertArrayEquals(expected, tokens.tokens(i), "document " + i + " (" + documents.get(i)
                        + ") read as at most " + maxTokens + " tokens");
            }
        }
    }

    @Test
    void encodingAllKeepsEveryDocumentWhole() {
        List<String> documents = randomDocuments(new Random(11), 200, 60);
        Tokenizer tokenizer = Tokenizer.fromDocuments(documents);
        int[][] all = DocumentTokens.encode(tokenizer, documents);
        for (int i = 0; i < documents.size(); i++) {
            assertArrayEquals(tokenizer.encodeDocument(documents.get(i)), all[i], "document " + i);
        }
    }

    @Test
    void aCharacterOutsideTheVocabularyIsFoundByTheCheckWhereverItIs() {
        Tokenizer tokenizer = Tokenizer.ofCharacters("ab");
        // Past what the model reads: the check still looks at every character.
        List<String> documents = List.of("ab", "abababababab" + "c", "a");
        var e = assertThrows(IllegalArgumentException.class, () -> DocumentTokens.check(tokenizer, documents, 3));
        assertTrue(e.getMessage().startsWith("document 1: "), e.getMessage());
        var empty = assertThrows(IllegalArgumentException.class,
                () -> DocumentTokens.check(tokenizer, List.of("a", "", "b"), 3));
        assertEquals("document 1 is empty", empty.getMessage());
        assertThrows(IllegalArgumentException.class, () -> DocumentTokens.check(tokenizer, List.of("a"), 1));
    }
}
