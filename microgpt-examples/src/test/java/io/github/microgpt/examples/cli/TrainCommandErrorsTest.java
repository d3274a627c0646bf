package io.github.microgpt.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every mistake at the command line gives one line on stderr naming it, the {@code --help} hint,
 * exit code 2, and no stack trace; a diverging run gives one line and exit code 1.
 */
class TrainCommandErrorsTest {

    @TempDir
    static Path dir;

    static Stream<Arguments> usageMistakes() {
        return Stream.of(
                mistake("unknown option: '--bogus'", "--bogus"),
                mistake("unknown option: '-x'", "-x"),
                // The value of an unknown option is not a second unknown option...
                mistake("unknown option: '--bogus'; ", "--bogus", "3"),
                mistake("unknown option: '--bogus=3'; ", "--bogus=3", "--steps", "4"),
                // ...but an argument away from it is named, as picocli names it.
                mistake("unknown options: '--bogus', '3'; ", "--bogus", "--steps", "4", "3"),
                // A shape option that a model has no part for is refused, when typed.
                mistake("--n-embd, --n-head have no effect on the bigram model (a table of logits, vocabulary x"
                        + " vocabulary, with no embeddings, heads or layers); leave them out; ", "--model", "bigram",
                        "--n-embd", "64", "--n-head", "4"),
                mistake("--n-layer has no effect on the bigram model", "--model", "bigram", "--n-layer", "1"),
                mistake("--n-head, --n-layer have no effect on the mlp model (embeddings of the last 3 tokens and one"
                        + " hidden layer, with no attention heads nor layers); leave them out; ", "--model", "mlp",
                        "--n-layer", "2", "--n-head", "2", "--n-embd", "32"),
                mistake("'microgpt train' takes options only, not the argument 'extra'", "extra"),
                mistake("missing required parameter for option '--steps'", "--steps"),
                mistake("missing required parameter for option '--data'", "--data"),
                mistake("'ten' is not a plain whole number; write a whole number in the digits 0-9", "--steps", "ten"),
                mistake("'1.5' is not a plain whole number", "--samples", "1.5"),
                mistake("'99999999999' is too large; the most is 2147483647", "--steps", "99999999999"),
                mistake("'forty-two' is not a plain whole number", "--seed", "forty-two"),
                mistake("invalid value for option '--temperature': 'warm' is not a number; give a positive, finite"
                        + " number, at most 1.7976931348623157E308", "--temperature", "warm"),
                mistake("'fast' is not a number", "--lr", "fast"),
                mistake("invalid value for option '--temperature': '1e309' is too large (it overflows a double); give a"
                        + " positive, finite number, at most 1.7976931348623157E308", "--temperature", "1e309"),
                mistake("invalid value for option '--temperature': '1e309' is too large", "--temperature=1e309"),
                mistake("invalid value for option '--lr': '-2E+400' is too large", "--lr", "-2E+400"),
                // parseDouble reads a number with control characters around it; the message escapes them.
                mistake("invalid value for option '--lr': '1e309\\u000D' is not a plain decimal number", "--lr",
                        "1e309\r"),
                // parseDouble reads Java's hexadecimal floats and literal suffixes: not a number as typed.
                mistake("invalid value for option '--lr': '0x1p-7' is not a plain decimal number; write a number as"
                        + " JSON does: the digits 0-9, a minus sign in front for a negative number, a point with digits"
                        + " on both sides and an exponent if wanted, such as 2, 0.01, -0.5 or 5e-3; no plus sign,"
                        + " spaces or leading zeros; give a positive, finite number, at most 1.7976931348623157E308",
                        "--lr", "0x1p-7"),
                mistake("invalid value for option '--lr': '1d' is not a plain decimal number", "--lr", "1d"),
                mistake("invalid value for option '--temperature': '0.5f' is not a plain decimal number",
                        "--temperature", "0.5f"),
                mistake("invalid value for option '--lr': ' 0.01' is not a plain decimal number", "--lr", " 0.01"),
                mistake("invalid value for option '--temperature': '-NaN' is not a plain decimal number",
                        "--temperature", "-NaN"),
                mistake("invalid value for option '--lr': '1e-400' is too small (it rounds to 0); give a positive,"
                        + " finite number, at most 1.7976931348623157E308 and at least 4.9E-324", "--lr", "1e-400"),
                mistake("invalid value for option '--temperature': '0x1p-2000' is not a plain decimal number",
                        "--temperature", "0x1p-2000"),
                mistake("'x' is not a plain whole number", "--n-embd", "x"),
                mistake("--steps must be at least 1, got 0", "--steps", "0"),
                mistake("--steps must be at least 1, got -3", "--steps", "-3"),
                mistake("--samples must be 0 or more, got -1", "--samples", "-1"),
                // Unbounded, a slip of the keyboard streamed names for days.
                mistake("--samples must be at most 1000000, got 2000000000; try", "--samples", "2000000000"),
                mistake("--samples must be at most 1000000, got 1000001; try", "--samples", "1000001",
                        "--steps", "1"),
                mistake("--n-layer must be at least 1, got 0", "--n-layer", "0"),
                mistake("--n-embd must be at least 1, got 0", "--n-embd", "0"),
                mistake("--n-head must be at least 1, got -2", "--n-head", "-2"),
                mistake("--block-size must be at least 1, got 0", "--block-size", "0"),
                // A head count or width left at its default is called the default, not an option the
                // user never typed; the message names the values that would do.
                mistake("--n-embd (10) must be divisible by the number of heads, 4 by default, so that every head"
                        + " gets the same number of dimensions; give --n-head with a divisor of 10 (1, 2, 5 or 10);"
                        + " try", "--n-embd", "10"),
                mistake("--n-embd (10) must be divisible by the number of heads, 4 by default, so that",
                        "--n-embd", "10", "--seed", "-1"),  // read by picocli rather than plainCommandLine
                mistake("--n-embd (6) must be divisible by the number of heads, 4 by default, so that every head"
                        + " gets the same number of dimensions; give --n-head with a divisor of 6 (1, 2, 3 or 6); try",
                        "--model", "attention", "--n-embd", "6"),
                mistake("the embedding width, 16 by default, must be divisible by --n-head (3) so that every head gets"
                        + " the same number of dimensions; give --n-embd with a multiple of 3 (such as 18), or --n-head"
                        + " with a divisor of 16 (1, 2, 4, 8 or 16); try", "--n-head", "3"),
                mistake("the embedding width, 16 by default, must be divisible by --n-head (32) so that every head"
                        + " gets the same number of dimensions; give --n-embd with a multiple of 32 (such as 32), or",
                        "--n-head", "32"),
                mistake("--n-embd (10) must be divisible by --n-head (4) so that every head gets the same number of"
                        + " dimensions; try", "--n-embd", "10", "--n-head", "4"),
                // A model without heads: leave --n-head out, rather than fit a width to it.
                mistake("the embedding width, 16 by default, must be divisible by --n-head (3) so that every head gets"
                        + " the same number of dimensions; the mlp model has no attention heads, so --n-head can be"
                        + " left out; try", "--model", "mlp", "--n-head", "3"),
                // The number is quoted as typed ("got 0;", not "got 0.0" as a double prints it).
                mistake("--temperature must be a positive, finite number, got 0; ", "--temperature", "0"),
                mistake("--temperature must be a positive, finite number, got 0.000; ", "--temperature", "0.000"),
                mistake("--temperature must be a positive, finite number, got -0.5", "--temperature", "-0.5"),
                mistake("--temperature must be a positive, finite number, got NaN", "--temperature", "NaN"),
                mistake("--temperature must be a positive, finite number, got Infinity", "--temperature", "Infinity"),
                mistake("--lr must be a positive, finite number, got 0; ", "--lr", "0"),
                mistake("--lr must be a positive, finite number, got -1; ", "--lr", "-1"),
                mistake("--lr must be a positive, finite number, got -1e-2; ", "--lr", "-1e-2"),
                mistake("--lr must be a positive, finite number, got -0.01", "--lr", "-0.01"),
                mistake("--lr must be a positive, finite number, got NaN", "--lr", "NaN"),
                mistake("--lr must be a positive, finite number, got Infinity", "--lr", "Infinity"),
                mistake("more than can be held", "--n-embd", "100000", "--n-head", "1"),
                mistake("--engine: unknown engine \"fast\"; the engines are value and array", "--engine", "fast"),
                mistake("--precision: unknown precision \"f16\"; the precisions are f64 and f32", "--engine", "array",
                        "--precision", "f16"),
                mistake("--precision f32 needs --engine array: the value engine computes in f64 only",
                        "--precision", "f32"));
    }

    private static Arguments mistake(String cause, String... trainArgs) {
        return Arguments.of(cause, trainArgs);
    }

    @ParameterizedTest(name = "{1} -> {0}")
    @MethodSource("usageMistakes")
    void aUsageMistakeIsOneLineAndExitCode2(String cause, String[] trainArgs) {
        String[] args = Stream.concat(Stream.of("train"), Stream.of(trainArgs)).toArray(String[]::new);

        Cli.Result result = Cli.run(args);

        Cli.assertOneLineError(result, 2, cause, "microgpt train", args);
    }

    @Test
    void aMissingDataFile() {
        Path missing = dir.resolve("no-such-file.txt");
        assertDataError("the data file " + missing + " does not exist", missing.toString());
    }

    @Test
    void aDirectoryAsDataFile() {
        assertDataError("the data file " + dir + " is a directory", dir.toString());
    }

    @Test
    void aPathThroughARegularFile() throws Exception {
        Path file = Files.writeString(dir.resolve("plain.txt"), "anna\n");
        Path below = file.resolve("below.txt");
        assertDataError("the data file " + below + " ", below.toString());
    }

    @Test
    void anEmptyDataFile() throws Exception {
        Path empty = Files.write(dir.resolve("empty.txt"), new byte[0]);
        assertDataError("the data file " + empty + " holds no documents: every line is empty or blank; try",
                empty.toString());
    }

    @Test
    void aBlankDataFile() throws Exception {
        Path blank = Files.writeString(dir.resolve("blank.txt"), " \n\t\n\r\n  \n");
        assertDataError("holds no documents", blank.toString());
    }

    @Test
    void aDataFileThatIsNotUtf8() throws Exception {
        byte[] latin1 = "anna\nzoë\n".getBytes(StandardCharsets.ISO_8859_1);
        Path file = Files.write(dir.resolve("latin1.txt"), latin1);
        assertDataError("the data file " + file + " is not valid UTF-8 (bad byte near offset 7)", file.toString());
    }

    /**
     * A control character inside a line (a log's terminal colours): refused before the first step,
     * naming it, its line and its column, as the simulator refuses it. It was trained on, and only
     * {@code --save} refused it, naming a character of the vocabulary rather than where it is.
     */
    @Test
    void aDataFileWithAControlCharacterNamesItsLineAndColumn() throws Exception {
        Path file = Files.writeString(dir.resolve("colours.txt"), "emma\n\n\u001B[31molivia\n");
        assertDataError("the data file " + file + " holds the control character U+001B at line 3, column 1; a"
                + " document is a line of text, which may hold a tab but no other control character", file.toString());
        Path rtl = Files.writeString(dir.resolve("rtl.txt"), "\u202Eemma\nol\u2067iv\u2069ia\nan\tna\n");
        Cli.Result trained = Cli.run("train", "--data", rtl.toString(), "--steps", "2", "--samples", "1");
        assertEquals(0, trained.exitCode(), "bidirectional controls and a tab are text: " + trained);
    }

    /**
     * The data file kept inside the checkpoint directory it saves into: the save replaced the
     * directory, and the data file was deleted with it. Refused before the first step.
     */
    @Test
    void aSaveThatWouldDeleteTheDataFileIsRefused() throws Exception {
        Path run = dir.resolve("run");
        assertEquals(0, Cli.run("train", "--steps", "1", "--samples", "0", "--save", run.toString()).exitCode());
        Path data = Files.writeString(run.resolve("names.txt"), "emma\nolivia\n");
        String[] args = {"train", "--data", data.toString(), "--steps", "1", "--save", run.toString()};
        Cli.Result result = Cli.run(args);
        Cli.assertOneLineError(result, 2, "--save: " + run + ": holds names.txt, which is not part of a checkpoint;"
                + " a save replaces the whole directory and would delete it", "microgpt train", args);
        assertEquals("", result.stdout(), "nothing trained");
        assertEquals("emma\nolivia\n", Files.readString(data));
    }

    @Test
    void anUnreadableDataFileIsExplained() {
        // Tests run as root here, which can read any file, so the message is checked directly.
        Path file = Path.of("secret.txt");
        assertEquals("the data file secret.txt cannot be read: permission denied",
                DataFiles.describeReadFailure(file, new AccessDeniedException(file.toString())));
    }

    @Test
    void aBadProgressSetting() {
        Cli.Result result = Cli.run(Map.of("MICROGPT_PROGRESS", "sometimes"), null, null, "train", "--steps", "1");

        Cli.assertOneLineError(result, 2, "MICROGPT_PROGRESS must be auto, always or never, not 'sometimes'",
                "microgpt train", "train");
        assertEquals("", result.stdout());
    }

    @Test
    void aDivergingRunNamesTheStepAndTheDocumentAndExitsWith1() {
        String[] args = {"train", "--lr", "1e300", "--steps", "50", "--data", writeNames()};

        Cli.Result result = Cli.run(args);

        Cli.assertOneLineError(result, 1, "training diverged at step 2 on the document \"", null, args);
        String message = result.stderrLines().get(0);
        String document = message.substring(message.indexOf('"') + 1, message.lastIndexOf('"'));
        assertTrue(document.equals("anna") || document.equals("bob"), message);
        assertTrue(message.contains("--lr"), "suggests what to change: " + message);
        assertEquals("step    1 /   50 | loss ", result.stdoutLines().get(3).substring(0, 24),
                "the steps before the divergence were printed");
        assertEquals(5, result.stdoutLines().size(), "nothing after step 1: " + result.stdout());
    }

    private static String writeNames() {
        try {
            return Files.writeString(dir.resolve("two.txt"), "anna\nbob\n").toString();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void assertDataError(String cause, String dataFile) {
        String[] args = {"train", "--data", dataFile};
        Cli.Result result = Cli.run(args);
        Cli.assertOneLineError(result, 2, cause, "microgpt train", args);
        assertEquals("", result.stdout(), "nothing is printed before the data is read");
    }
}
