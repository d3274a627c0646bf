package io.github.microgpt.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.w3c.dom.Document;

/** {@code microgpt graph}: micrograd's neuron printed, drawn as SVG and as DOT, and its errors. */
class GraphCommandTest {

    private static final String[] NEURON = {"graph", "--expr", "tanh(x1*w1 + x2*w2 + b)", "--var", "x1=2",
        "--var", "x2=0", "--var", "w1=-3", "--var", "w2=1", "--var", "b=6.8813735870195432"};

    @Test
    void runningOutOfMemoryEndsWithOneLineAndExitCode1() {
        // Memory that runs out while the command writes its result: the error reaches the
        // command line's own handling, as a real OutOfMemoryError from any step of it would.
        OutputStream exhausted = new OutputStream() {
            @Override
            public void write(int b) {
                throw new OutOfMemoryError("Java heap space");
            }
        };
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        CliContext context = new CliContext(exhausted, new PrintStream(err, true, StandardCharsets.UTF_8), Map.of(),
                null, null);
        int exitCode = MicrogptCommand.execute(context, NEURON);
        String stderr = err.toString(StandardCharsets.UTF_8);
        assertEquals(1, exitCode, stderr);
        assertEquals("microgpt: out of memory: this command needs more than the Java heap holds "
                + "(give the JVM more, for example JAVA_OPTS=-Xmx4g)" + System.lineSeparator(), stderr);
    }

    /**
     * An overflow (a multiplication beyond 1.8e308, inf in Python too): the numbers that are not
     * finite read as Python writes them (inf, nan), not as Java's Infinity, a very large one has
     * an exponent rather than 309 digits, and a note says where the first one came from and why.
     */
    @Test
    void numbersThatAreNotFiniteAreShownAsPythonShowsThemWithANoteThatSaysWhy() {
        Cli.Result large = Cli.run("graph", "--expr", "x*1e308*10", "--var", "x=1");
        assertEquals(0, large.exitCode(), large.toString());
        assertTrue(large.stdoutLines().contains("  n2   *      x,n1     data 1.0000e+308   grad    10.0000"),
                large.stdout());
        assertTrue(large.stdout().contains("\nnote: out = n2 * n3 is inf: it is beyond the largest number a double"
                + " holds"), large.stdout());
        assertFalse(large.stdout().contains("Infinity") || large.stdout().contains("NaN"), large.stdout());
        Cli.Result grad = Cli.run("graph", "--expr", "x*1e200*1e200", "--var", "x=1e-300");
        assertTrue(grad.stdout().contains("\nnote: x.grad is inf: the sum is beyond the largest number a double holds"),
                grad.stdout());
        Cli.Result fine = Cli.run(NEURON);
        assertFalse(fine.stdout().contains("note:"), "no note when every number is finite: " + fine.stdout());
    }

    /**
     * What microgpt.py's Value refuses (Python raises ZeroDivisionError, ValueError, OverflowError)
     * is a mistake in the expression: one line that says where and why, exit code 2, no stack
     * trace and no graph of infinities.
     */
    @Test
    void whatPythonRefusesIsOneLineThatSaysWhereAndWhy() {
        String[][] cases = {
            {"1/x", "x=0", "--expr: cannot compute the division at column 2 of the expression: Value.div: division"
                    + " by zero: the divisor is 0.0 (a / b is computed as a * b ** -1, and Python's 0.0 ** -1 raises"
                    + " ZeroDivisionError)"},
            {"1 + log(x)", "x=0", "--expr: cannot compute log(...) at column 5 of the expression: Value.log: log(0.0)"
                    + " is not defined: the logarithm is defined for positive numbers only (Python's math.log raises"
                    + " ValueError: math domain error)"},
            {"log(x)", "x=-1", "--expr: cannot compute log(...) at column 1 of the expression: Value.log: log(-1.0)"},
            {"x^0.5", "x=-2", "--expr: cannot compute the power at column 2 of the expression: Value.pow: -2.0 ** 0.5"
                    + " is not a real number"},
            {"exp(x)", "x=1000", "--expr: cannot compute exp(...) at column 1 of the expression: Value.exp:"
                    + " exp(1000.0) overflows"},
            {"x ^ 0.5", "x=0", "--expr: cannot compute the power at column 3 of the expression: Value.pow: its local"
                    + " gradient 0.5 * 0.0 ** -0.5 cannot be computed"},
            {"x^0", "x=0", "--expr: cannot compute the power at column 2 of the expression: Value.pow: its local"
                    + " gradient 0.0 * 0.0 ** -1.0 cannot be computed"},
        };
        for (String[] c : cases) {
            String[] args = {"graph", "--expr", c[0], "--var", c[1]};
            Cli.Result result = Cli.run(args);
            Cli.assertOneLineError(result, 2, "microgpt: " + c[2], "microgpt graph", args);
            assertEquals("", result.stdout(), result.toString());
        }
    }

    /** An --out under a file (a/b.svg where a is a file) says so, as --save does, not that a directory is missing. */
    @Test
    void anOutUnderAFileSaysItIsAFile(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("afile"), "x");
        String[] args = {"graph", "--expr", "x", "--var", "x=1", "--out", file.resolve("g.svg").toString()};
        Cli.Result result = Cli.run(args);
        Cli.assertOneLineError(result, 2, "--out: " + file.resolve("g.svg") + " cannot be created: " + file
                + " is a file, not a folder", "microgpt graph", args);
    }

    @Test
    void aPictureOfNumbersThatAreNotFiniteSaysInfAndTheNoteGoesToStderr(@TempDir Path dir) throws Exception {
        for (String name : List.of("g.svg", "g.dot")) {
            Path out = dir.resolve(name);
            Cli.Result result = Cli.run("graph", "--expr", "x*1e308*10", "--var", "x=1", "--out", out.toString());
            assertEquals(0, result.exitCode(), result.toString());
            assertEquals("microgpt: note: out = n2 * n3 is inf: it is beyond the largest number a double holds (about"
                    + " 1.8e308); every number computed from it is inf or nan too\n", result.stderr());
            String picture = Files.readString(out);
            assertTrue(picture.contains("data inf") && picture.contains("grad inf"), picture);
            assertFalse(picture.contains("Infinity"), picture);
        }
    }

    @Test
    void printsEveryNodeAndEveryStepOfBackwardWithMicrogradsNumbers() {
        Cli.Result result = Cli.run(NEURON);
        assertEquals(0, result.exitCode(), result.toString());
        assertEquals("", result.stderr());
        List<String> lines = result.stdoutLines();
        assertEquals("nodes (children before parents):", lines.get(0));
        assertTrue(lines.contains("  x1   leaf            data     2.0000   grad    -1.5000"), result.stdout());
        assertTrue(lines.contains("  w1   leaf            data    -3.0000   grad     1.0000"), result.stdout());
        assertTrue(lines.contains("  x2   leaf            data     0.0000   grad     0.5000"), result.stdout());
        assertTrue(lines.contains("  w2   leaf            data     1.0000   grad     0.0000"), result.stdout());
        assertTrue(lines.contains("  out  tanh   n8       data     0.7071   grad     1.0000"), result.stdout());
        assertTrue(lines.contains("  out.grad = 1"), result.stdout());
        // Nine edges, nine additions.
        assertEquals(9, lines.stream().filter(l -> l.contains(".grad += ")).count());
        assertTrue(lines.contains("  x1.grad += -3.0000 * 0.5000  (local * n2.grad)  -> -1.5000"), result.stdout());
    }

    @Test
    void writesAnSvgThatParsesAsXmlWithABoxPerNode(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("neuron.svg");
        Cli.Result result = Cli.run(with(NEURON, "--out", file.toString()));
        assertEquals(0, result.exitCode(), result.toString());
        assertEquals("", result.stdout(), "the picture goes to the file only");
        Document svg = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new ByteArrayInputStream(Files.readAllBytes(file)));
        assertEquals("svg", svg.getDocumentElement().getTagName());
        assertEquals(10 + 1, svg.getElementsByTagName("rect").getLength(), "ten nodes and the background");
        assertEquals(9, svg.getElementsByTagName("path").getLength(), "nine edges");
        assertTrue(Files.readString(file).contains("grad -1.5000"));
        try (var files = Files.list(dir)) {
            assertEquals(List.of(file), files.toList(), "no temporary file is left");
        }
        if (file.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            Path plain = Files.writeString(dir.resolve("plain.txt"), "x");
            assertEquals(Files.getPosixFilePermissions(plain), Files.getPosixFilePermissions(file),
                    "the picture gets the permissions of any new file, not the owner-only ones of a temporary file");
        }
    }

    @Test
    void writesDotAndShowsZerosBeforeBackward(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("neuron.dot");
        Cli.Result result = Cli.run(with(NEURON, "--out", file.toString(), "--no-backward"));
        assertEquals(0, result.exitCode(), result.toString());
        String dot = Files.readString(file, StandardCharsets.UTF_8);
        assertTrue(dot.startsWith("digraph expression {"), dot);
        assertTrue(dot.contains("{ x1 | data 2.0000 | grad 0.0000 }"), dot);
        assertFalse(dot.contains("grad 1.0000"), "nothing has been back-propagated");
    }

    @Test
    void aFailedRunLeavesAnEarlierFileIntact(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("g.svg");
        Files.writeString(file, "earlier");
        Cli.Result result = Cli.run("graph", "--expr", "x +", "--var", "x=1", "--out", file.toString());
        assertEquals(2, result.exitCode());
        assertEquals("earlier", Files.readString(file));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "x +                 | x=1      |                  | the expression ends after column 3; expected a number",
        "tanh(x              | x=1      |                  | ')'",
        "x ^ y               | x=1      |                  | a number after '^'",
        "sin(x)              | x=1      |                  | unknown function 'sin'",
        "x * z               | x=1      |                  | unknown variable 'z' at column 5",
        "x                   | x        |                  | expected NAME=VALUE",
        "x                   | x=abc    |                  | \"abc\" is not a plain decimal number",
        "x                   | x=NaN    |                  | \"NaN\" is not a plain decimal number",
        // parseDouble reads these as 8, 2 and 0: not what was typed, so refused as --lr refuses them.
        "x                   | x=0x1p3  |                  | --var x: \"0x1p3\" is not a plain decimal number; write a",
        "x                   | x=2d     |                  | --var x: \"2d\" is not a plain decimal number",
        "x                   | x=1e-400 |                  | --var x: 1e-400 is too small: it rounds to 0",
        "x                   | 1x=2     |                  | must be letters",
        "x                   | x=1      | graph.png        | must end in .svg",
        "x                   | x=1      | no/such/g.svg    | does not exist",
        "x ) 2               | x=1      |                  | unexpected ')' at column 3",
        "2 * 3               | x=1      |                  | --var x: the expression does not use it (it uses no variable)",
    })
    void badInputIsAOneLineErrorWithExitCode2(String expr, String var, String out, String cause, @TempDir Path dir) {
        String[] args = out == null ? new String[] {"graph", "--expr", expr, "--var", var}
                : new String[] {"graph", "--expr", expr, "--var", var, "--out", dir.resolve(out).toString()};
        Cli.assertOneLineError(Cli.run(args), 2, cause, "microgpt graph", args);
    }

    /** An expression that stops too soon says so once, with the column it stops after and what was expected. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
        "x +    | the expression ends after column 3; expected a number, a variable, a function or '('",
        "tanh(x | the expression ends after column 6; expected ')'",
        "(x     | the expression ends after column 2; expected ')'",
        "x ^    | the expression ends after column 3; expected a number after '^' (the exponent must be a constant)",
    })
    void anExpressionThatStopsTooSoonSaysSoOnce(String expr, String message) {
        String[] args = {"graph", "--expr", expr, "--var", "x=1"};

        Cli.Result result = Cli.run(args);

        Cli.assertOneLineError(result, 2, "--expr: " + message + ";", "microgpt graph", args);
        assertFalse(result.stderr().contains("of the expression"), result.stderr());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "x\\n=1     | U+000A) in its name at column 2",
        "x=1\\n     | U+000A) in its value at column 4",
        "\\tx=1     | U+0009) in its name at column 1",
        "x=\\u00001 | U+0000) in its value at column 3",
        "x=1\\u001b | U+001B) in its value at column 4",
        "x=\\u20281 | U+2028) in its value at column 3",
    })
    void aControlCharacterInAVariableIsRefusedNotStripped(String escaped, String where) {
        String variable = escaped.replace("\\n", "\n").replace("\\t", "\t").replace("\\u0000", "\u0000")
                .replace("\\u001b", "\u001b").replace("\\u2028", "\u2028");
        String[] args = {"graph", "--expr", "x", "--var", variable};

        Cli.Result result = Cli.run(args);

        Cli.assertOneLineError(result, 2, "has a control character (" + where
                + "; a name and its value must be printable text on one line", "microgpt graph", args);
        // The argument is quoted with the character escaped, so the message stays on one line.
        assertTrue(result.stderr().contains("--var: \"" + escaped.replace("\\n", "\\u000A").replace("\\t", "\\u0009")
                .replace("\\u001b", "\\u001B") + "\""), result.stderr());
    }

    @Test
    void anUnknownVariableOfAHundredThousandLettersIsQuotedShort() {
        String name = "x".repeat(100_000);
        String[] args = {"graph", "--expr", name};
        Cli.Result result = Cli.run(args);
        Cli.assertOneLineError(result, 2, "unknown variable '" + "x".repeat(40) + "... (100000 letters)' at column 1",
                "microgpt graph", args);
        assertTrue(result.stderr().length() < 400, "was 200 KB: " + result.stderr().length() + " characters");
    }

    /** A --var the expression never mentions was dropped without a word; a typo hid that way. */
    @Test
    void aVariableTheExpressionDoesNotUseIsRefusedByName() {
        String[] args = {"graph", "--expr", "x*w", "--var", "x=2", "--var", "w=3", "--var", "W=4", "--var", "b=1"};
        Cli.assertOneLineError(Cli.run(args), 2,
                "--var W, b: the expression does not use them (it uses x, w); fix the name or leave it out",
                "microgpt graph", args);
    }

    /** Spaces around the equals sign are refused, as " 3" is by every option that takes a number. */
    @Test
    void spacesAroundTheEqualsSignAreRefused() {
        for (String var : List.of(" x = 3 ", "x= 3", "x=3 ", "x =3")) {
            Cli.Result result = Cli.run("graph", "--expr", "x*x", "--var", var);
            assertEquals(2, result.exitCode(), var + ": " + result);
        }
    }

    @Test
    void deeplyNestedInputIsRefusedNotAStackOverflow() {
        String deep = "(".repeat(100_000) + "x" + ")".repeat(100_000);
        String[] args = {"graph", "--expr", deep, "--var", "x=1"};
        Cli.assertOneLineError(Cli.run(args), 2, "nesting deeper than 200 levels", "microgpt graph", args);
        String minus = "-".repeat(100_000) + "x";
        String[] minusArgs = {"graph", "--expr", minus, "--var", "x=1"};
        Cli.assertOneLineError(Cli.run(minusArgs), 2, "nesting deeper than 200 levels", "microgpt graph", minusArgs);
        Cli.Result ok = Cli.run("graph", "--expr", "(".repeat(150) + "x" + ")".repeat(150), "--var", "x=1");
        assertEquals(0, ok.exitCode(), ok.toString());
    }

    @Test
    void aVariableUsedTwiceIsOneLeafWithTwoEdges() {
        Cli.Result result = Cli.run("graph", "--expr", "x*x", "--var", "x=3");
        assertEquals(0, result.exitCode(), result.toString());
        assertTrue(result.stdoutLines().contains("  x    leaf            data     3.0000   grad     6.0000"),
                result.stdout());
        assertTrue(result.stdoutLines().contains("  out  *      x,x      data     9.0000   grad     1.0000"),
                result.stdout());
    }

    private static String[] with(String[] args, String... more) {
        String[] all = java.util.Arrays.copyOf(args, args.length + more.length);
        System.arraycopy(more, 0, all, args.length, more.length);
        return all;
    }
}
