package io.github.microgpt.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.microgpt.examples.ThisJvm;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An argument that Java could not read in the locale's character set: each byte it could not read
 * became U+FFFD, and the message quoted that as if the user had typed it ("the data file bad_?.txt
 * does not exist" for a file that is there; "Malformed input or input contains unmappable
 * characters" in the C locale). Every command's message now names U+FFFD and says what it stands for.
 */
class UndecodedArgumentTest {

    @TempDir
    Path dir;

    @Test
    void everyCommandExplainsUFFFDInAnArgument() {
        String[][] cases = {
            {"train", "--data", "bad_\uFFFD.txt", "--steps", "1"},
            {"simulator", "--data", "bad_\uFFFD.txt", "--port", "0"},
            {"generate", "--model", "r\uFFFDn"},
            {"compare", "r\uFFFDn", "r\uFFFDn"},
            {"graph", "--expr", "x\uFFFD", "--var", "x=1"},
            {"train", "--engine", "\uFFFD"},
            {"train", "--steps", "\uFFFD1"},
            {"train", "--frobnicate\uFFFD"},
        };
        for (String[] args : cases) {
            Cli.Result result = Cli.run(args);
            Cli.assertOneLineError(result, 2, "U+FFFD stands for bytes of the command line that are not valid "
                    + MicrogptCommand.localeCharset() + ", the character set of the locale", "microgpt " + args[0],
                    args);
            assertTrue(result.stderr().contains("\\uFFFD"), "the value quoted with U+FFFD escaped: " + result);
            assertFalse(result.stderr().contains("\uFFFD"), "U+FFFD itself, a '?' in the C locale: " + result);
        }
        Cli.Result plain = Cli.run("train", "--data", dir.resolve("nope.txt").toString(), "--steps", "1");
        assertFalse(plain.stderr().contains("U+FFFD"), "no word of it otherwise: " + plain);
    }

    /** In the C locale, a name with a non-ASCII byte cannot be a Path at all: Java's reason said nothing of why. */
    @Test
    void theCLocaleSaysWhichCharacterSetCannotWriteTheName() throws Exception {
        assumeTrue(File.separatorChar == '/' && Files.isExecutable(Path.of("/bin/sh")), "a POSIX system");
        ProcessBuilder builder = new ProcessBuilder(ThisJvm.command(MicrogptCommand.class.getName(), "train", "--data",
                "zo\u00E9.txt", "--steps", "1"));
        builder.environment().put("LC_ALL", "C");
        builder.environment().remove("LANG");
        builder.redirectErrorStream(true);
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "ended");
        assertEquals(2, process.exitValue(), output);
        // The JVM may read the C locale as UTF-8 (some do); then the name is read whole and is only missing.
        assumeTrue(output.contains("cannot be a file name"), "this JVM reads the C locale's arguments as ASCII: "
                + output);
        assertTrue(output.contains("'zo\\uFFFD\\uFFFD.txt' cannot be a file name: it holds a character that the"
                + " locale's character set (US-ASCII) cannot write (U+FFFD stands for bytes of the command line that"
                + " are not valid US-ASCII"), output);
        assertFalse(output.contains("Malformed input"), output);
    }
}
