package io.github.microgpt.consumer.classpath;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.autograd.Value;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * README's Java is tested code: every {@code java} block of README.md that claims an output (the
 * prose after it says what it "prints", followed by a plain block) is compiled against the built
 * {@code microgpt-core} alone, as a user's project would compile it, run in a new JVM, and its
 * output compared with README's, under the default locale and under a German one (where
 * {@code %.3f} without {@code Locale.ROOT} would print a decimal comma).
 */
class ReadmeJavaBlocksTest {

    /** A fenced block: its language (possibly empty) and its text. */
    private static final Pattern FENCE = Pattern.compile("(?ms)^```([a-z]*)\\n(.*?)^```\\s*$");
    private static final Pattern CLASS_NAME = Pattern.compile("(?m)^public (?:final )?class (\\w+)");

    /** A Java program of README and the output README says it prints. */
    record Example(String program, String output, int line) {
        String className() {
            Matcher matcher = CLASS_NAME.matcher(program);
            assertTrue(matcher.find(), "README's Java block at line " + line + " is a whole program: public class ...");
            return matcher.group(1);
        }
    }

    @TempDir
    Path work;

    @Test
    void readmeHasAProgramWithItsOutput() throws IOException {
        assertFalse(examples().isEmpty(), "README's \"Using the library\" shows a program and what it prints");
    }

    @TestFactory
    Stream<DynamicTest> everyProgramPrintsWhatReadmeSays() throws IOException {
        return examples().stream().flatMap(example -> Stream.of(
                DynamicTest.dynamicTest("README line " + example.line() + ", default locale",
                        () -> assertPrints(example, List.of())),
                DynamicTest.dynamicTest("README line " + example.line() + ", German locale",
                        () -> assertPrints(example, List.of("-Duser.language=de", "-Duser.country=DE")))));
    }

    private void assertPrints(Example example, List<String> jvmOptions) throws Exception {
        Path sources = Files.createDirectories(work.resolve("src"));
        Path classes = Files.createDirectories(work.resolve("classes"));
        Path source = Files.writeString(sources.resolve(example.className() + ".java"), example.program());
        String core = coreLocation();

        JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
        assertNotNull(compiler, "the tests run on a JDK");
        StringWriter diagnostics = new StringWriter();
        boolean compiled = compiler.getTask(new PrintWriter(diagnostics), null, null,
                List.of("--release", "17", "-Xlint:all", "-Werror", "-classpath", core, "-d", classes.toString()),
                null, compiler.getStandardFileManager(null, null, StandardCharsets.UTF_8).getJavaFileObjects(source))
                .call();
        assertTrue(compiled, "README's program at line " + example.line() + " compiles without warnings:\n" + diagnostics);

        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", classes + java.io.File.pathSeparator + core, example.className()));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output;
        try (InputStream in = process.getInputStream()) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            in.transferTo(bytes);
            output = bytes.toString(StandardCharsets.UTF_8);
        }
        assertTrue(process.waitFor(5, TimeUnit.MINUTES), "the program ends");
        assertEquals(0, process.exitValue(), output);
        assertEquals(example.output(), output.replace(System.lineSeparator(), "\n"),
                "what README's program at line " + example.line() + " prints with " + jvmOptions);
    }

    /** Where microgpt-core's classes are: its jar, or its classes folder in a build that has not packaged it. */
    private static String coreLocation() throws URISyntaxException {
        return Path.of(Value.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    }

    /** README's Java blocks whose next block is the output that the prose between them says they print. */
    static List<Example> examples() throws IOException {
        String readme = Files.readString(readme(), StandardCharsets.UTF_8);
        List<Example> examples = new ArrayList<>();
        Matcher fence = FENCE.matcher(readme);
        String previousJava = null;
        int previousEnd = 0;
        int previousLine = 0;
        while (fence.find()) {
            String language = fence.group(1);
            String between = readme.substring(previousEnd, fence.start());
            if (previousJava != null && language.isEmpty() && between.contains("prints")) {
                examples.add(new Example(previousJava, fence.group(2), previousLine));
            }
            previousJava = language.equals("java") ? fence.group(2) : null;
            previousLine = (int) readme.substring(0, fence.start()).lines().count() + 1;
            previousEnd = fence.end();
        }
        return examples;
    }

    private static Path readme() {
        Path readme = Path.of(System.getProperty("microgpt.readme", "../../README.md"));
        assertTrue(Files.isRegularFile(readme), "README.md at " + readme.toAbsolutePath());
        return readme;
    }
}
