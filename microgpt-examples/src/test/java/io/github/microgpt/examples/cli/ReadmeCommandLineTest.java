package io.github.microgpt.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The errors README shows are the errors the command line prints, to the byte, with exit code 2. */
class ReadmeCommandLineTest {

    /** A block of README that shows one command and the one line it writes on stderr. */
    private static final Pattern ERROR_EXAMPLE = Pattern.compile("(?m)^```\\n\\$ \\./microgpt (.*)\\n(microgpt: .*)\\n```$");

    @Test
    void everyErrorShownInReadmeIsWhatTheCommandPrints() throws Exception {
        Path readme = Path.of("../README.md");
        assertTrue(Files.isRegularFile(readme), "README.md beside the module, at " + readme.toAbsolutePath());
        Matcher example = ERROR_EXAMPLE.matcher(Files.readString(readme, StandardCharsets.UTF_8));
        List<String> checked = new ArrayList<>();
        while (example.find()) {
            String[] args = example.group(1).split(" ");
            Cli.Result result = Cli.run(args);
            assertEquals(2, result.exitCode(), result.toString());
            assertEquals(example.group(2) + "\n", result.stderr(), "./microgpt " + example.group(1));
            assertEquals("", result.stdout());
            checked.add(example.group(1));
        }
        assertFalse(checked.isEmpty(), "README shows what a usage error looks like");
    }
}
