package io.github.microgpt.testing;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.testsupport.TestResources;
import io.github.microgpt.text.Documents;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The reference material is in the repository, intact, and a missing or damaged file says so. */
class TestResourcesTest {

    @Test
    void theNamesAreTheRecordedFileOf32033Names() throws Exception {
        byte[] names = Files.readAllBytes(TestResources.namesFile());
        assertEquals(TestResources.recordedNamesSha256(), TestResources.sha256(names),
                "the SHA-256 of names.txt is the one names.txt.SOURCE.md records");
        List<String> documents = Documents.load(TestResources.namesFile());
        assertEquals(32_033, documents.size());
        assertTrue(documents.stream().allMatch(name -> name.matches("[a-z]+")), "lowercase a-z only");
        assertEquals(List.of("emma", "olivia", "ava"), documents.subList(0, 3));
    }

    @Test
    void theSourceOfTheNamesIsRecordedBesideThem() {
        String source = new String(TestResources.bytes("data/names.txt.SOURCE.md"), StandardCharsets.UTF_8);
        assertAll(
                () -> assertTrue(source.contains("https://github.com/karpathy/makemore"), "the source URL"),
                () -> assertTrue(source.contains("MIT License"), "the licence"),
                () -> assertTrue(source.contains("Copyright (c) 2022 Andrej Karpathy"), "the copyright notice"));
    }

    @Test
    void theGoldenFilesDescribeTheSameRun() {
        String stdout = new String(TestResources.goldenStdout(), StandardCharsets.UTF_8);
        assertTrue(stdout.startsWith("num docs: 32033\n"), stdout.substring(0, 40));
        assertEquals(1000, TestResources.goldenJson().getAsJsonArray("losses_hex").size());
        assertTrue(TestResources.pythonRandomVectors().has("seed42_state_after_seed"));
    }

    @Test
    void everyFileIsAlsoOnDiskInOneDirectory() throws Exception {
        assertArrayEquals(TestResources.goldenStdout(),
                Files.readAllBytes(TestResources.directory().resolve("golden/microgpt-py-seed42.stdout")));
        assertEquals(TestResources.namesFile(), TestResources.directory().resolve("data/names.txt"));
    }

    @Test
    void aMissingFileIsNamedInOneMessage() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> TestResources.bytes("golden/no-such-file.json"));
        assertEquals("the test resource microgpt-reference/golden/no-such-file.json is missing from the test class"
                + " path (it belongs in microgpt-test-support/src/main/resources/microgpt-reference/golden/no-such-file.json)",
                e.getMessage());
    }

    @Test
    void aFileThatIsNotJsonIsNamedInOneMessage() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> TestResources.json("golden/PYTHON-RANDOM.md"));
        assertTrue(e.getMessage().startsWith("the test resource microgpt-reference/golden/PYTHON-RANDOM.md"
                + " is not a valid JSON object ("), e.getMessage());
    }
}
