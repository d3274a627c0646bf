package io.github.microgpt.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The teaching examples print what README shows, line for line: a change to an example's output
 * or to README's copy of it fails here, naming the example and the first line that differs.
 *
 * <p>The rule that finds README's examples: a fenced block (three backticks, no language) whose
 * first line is {@value #COMMAND} followed by a class name, and nothing else on that line, shows
 * that class's output in the rest of the block. Each such example runs as README says, in a JVM of
 * its own ({@code java -cp <the test's class path> io.github.microgpt.examples.NAME}, no
 * arguments), and its standard output is compared with the block. The examples are deterministic,
 * so the comparison is exact.
 *
 * <p>{@link #README_SHOWS} lists the examples README shows this way, so that a block that loses its
 * command line (and with it its check) fails too, rather than going quietly untested.
 * ({@code TeachingExamplesTest} checks the shape of the examples' output at fewer steps; README's
 * Java program and its command-line errors have tests of their own: {@code ReadmeJavaBlocksTest},
 * {@code ReadmeCommandLineTest}.)
 */
class ReadmeExamplesTest {

    /** How README's blocks begin: the command of "Teaching", up to the example's class name. */
    static final String COMMAND = "$ java -cp microgpt-examples/target/microgpt.jar io.github.microgpt.examples.";

    /** The examples README shows with their output (the names of the classes, sorted). */
    static final Set<String> README_SHOWS = Set.of("AttentionExample", "BigramExample", "EditGptExample",
            "GptExample", "GraphExample", "LookingInsideExample", "MlpExample", "ProgressionExample");

    /** One example as README shows it: the class, the line of its command in README, its output. */
    record Shown(String name, int line, List<String> output) {
    }

    /**
     * README's examples, by the rule above.
     *
     * @param readme README's text
     * @return every block that begins with {@link #COMMAND}, in README's order
     */
    static List<Shown> shown(String readme) {
        List<Shown> shown = new ArrayList<>();
        List<String> lines = List.of(readme.split("\n", -1));
        for (int i = 0; i < lines.size(); i++) {
            if (!lines.get(i).startsWith("```")) {
                continue;
            }
            int open = i;
            for (i++; i < lines.size() && !lines.get(i).equals("```"); i++) {
                // the block's lines, up to its closing fence
            }
            assertTrue(i < lines.size(), "README line " + (open + 1) + ": a fenced block is closed");
            List<String> block = lines.subList(open + 1, i);
            if (!lines.get(open).equals("```") || block.isEmpty() || !block.get(0).startsWith(COMMAND)) {
                continue;
            }
            String name = block.get(0).substring(COMMAND.length());
            assertTrue(name.matches("[A-Z][A-Za-z0-9]*"), "README line " + (open + 2) + ": the command runs one"
                    + " example with no arguments, as this test runs it: " + block.get(0));
            shown.add(new Shown(name, open + 2, block.subList(1, block.size())));
        }
        return shown;
    }

    private static String readme() throws IOException {
        Path readme = Path.of("../README.md");
        assertTrue(Files.isRegularFile(readme), "README.md beside the module, at " + readme.toAbsolutePath());
        return Files.readString(readme, StandardCharsets.UTF_8);
    }

    @Test
    void readmeShowsEachExampleItListsWithItsCommand() throws IOException {
        Set<String> found = shown(readme()).stream().map(Shown::name).collect(Collectors.toCollection(TreeSet::new));
        assertEquals(new TreeSet<>(README_SHOWS), found, "the examples README shows with \"" + COMMAND + "NAME\" as"
                + " the first line of their block (a block without that line is not checked)");
    }

    @TestFactory
    List<DynamicTest> eachExamplePrintsWhatReadmeShows() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        for (Shown example : shown(readme())) {
            tests.add(DynamicTest.dynamicTest(example.name() + " (README line " + example.line() + ")",
                    () -> assertPrints(example, run(example.name()))));
        }
        return tests;
    }

    /**
     * Fails unless {@code printed} is README's block, naming the example and the first line that differs.
     *
     * @param example README's block
     * @param printed the lines the example printed
     */
    static void assertPrints(Shown example, List<String> printed) {
        List<String> shown = example.output();
        for (int i = 0; i < Math.max(shown.size(), printed.size()); i++) {
            String readme = i < shown.size() ? shown.get(i) : "(README's block has ended)";
            String program = i < printed.size() ? printed.get(i) : "(the output has ended)";
            if (!readme.equals(program)) {
                fail(example.name() + ": line " + (i + 1) + " of its output (README line " + (example.line() + 1 + i)
                        + ") differs from README's block:\n  README shows: " + readme + "\n  it prints:    " + program);
            }
        }
    }

    /** Runs {@code io.github.microgpt.examples.NAME} with no arguments in a JVM of its own; its stdout's lines. */
    private static List<String> run(String name) throws IOException, InterruptedException {
        Path stderr = Files.createTempFile(name, ".stderr");
        try {
            Process process = new ProcessBuilder(ThisJvm.command(ReadmeExamplesTest.class.getPackageName() + "." + name))
                    .redirectError(stderr.toFile()).start();
            process.getOutputStream().close();
            String stdout = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            // A guard against a hang only, far beyond the seconds an example takes.
            if (!process.waitFor(10, TimeUnit.MINUTES)) {
                process.destroyForcibly();
                fail(name + " did not end");
            }
            assertEquals(0, process.exitValue(), name + " failed: " + Files.readString(stderr));
            List<String> lines = new ArrayList<>(List.of(stdout.split("\n", -1)));
            assertEquals("", lines.remove(lines.size() - 1), name + "'s output ends with a newline");
            return lines;
        } finally {
            Files.deleteIfExists(stderr);
        }
    }
}
