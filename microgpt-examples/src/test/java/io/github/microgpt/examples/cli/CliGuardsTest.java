package io.github.microgpt.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.microgpt.model.Architecture;
import io.github.microgpt.model.Engine;
import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.Precision;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the commands refuse before any work: a model larger than the heap, an output file that
 * cannot be created, an expression too large to draw or a literal that is not finite.
 */
class CliGuardsTest {

    @TempDir
    Path dir;

    // -------------------------------------------------------------- a model larger than the heap

    /**
     * Runs {@code train} and checks that it is refused for memory before a model is built: exit
     * 2, one line that names the heap's limit and how to raise it.
     *
     * @return the line, for the test's own checks
     */
    private static String refusedForMemory(String... args) {
        Cli.Result result = Cli.run(args);
        Cli.assertOneLineError(result, 2, "bytes of memory", "microgpt train", args);
        String line = result.stderrLines().get(0);
        assertTrue(line.contains(Runtime.getRuntime().maxMemory() + " bytes"), "names the limit: " + line);
        assertTrue(line.contains("JAVA_OPTS=-Xmx"), "says how to give more: " + line);
        assertFalse(result.stdout().contains("num params"), "no model was built");
        return line;
    }

    @Test
    void anArrayModelLargerThanTheHeapIsRefusedBeforeItIsBuilt() {
        // 600,000 layers of width 16: 1.8e9 parameters, under the largest array but ~59 GB of arrays.
        String line = refusedForMemory("train", "--steps", "2", "--engine", "array", "--n-layer", "600000");
        assertTrue(line.contains("--n-layer"), "says what to make smaller: " + line);
    }

    @Test
    void aValueModelWhoseStepGraphExceedsTheHeapIsRefused() {
        // 100,000 layers: 3.1e8 parameters, each used at every position of a step's graph.
        String line = refusedForMemory("train", "--steps", "2", "--n-layer", "100000");
        assertTrue(line.contains("value engine"), line);
    }

    @Test
    void anArrayBlockSizeWhoseWorkspaceExceedsTheHeapIsRefusedBeforeItIsBuilt() {
        // 1.6 million parameters (51 MB), but the workspace holds 4 heads' weights over 100,000 x
        // 100,000 positions: 320 GB. Before the workspace was counted this ran until out of memory.
        String line = refusedForMemory("train", "--steps", "2", "--engine", "array", "--block-size", "100000");
        assertTrue(line.contains("attention weights over 100000 x 100000 positions"), "says what grows: " + line);
        assertTrue(line.contains("GiB"), "gives the sizes in GiB too: " + line);
        assertTrue(line.contains("choose a smaller --block-size"), "says what to make smaller: " + line);
    }

    @Test
    void resumingALongBlockOnTheArrayEngineIsRefusedWhenItsWorkspaceExceedsTheHeap() {
        // The value engine trains block 40,000 on short names in little memory (its graph grows
        // with the document); the array engine's workspace for it would take 51 GB.
        String run = dir.resolve("long-block").toString();
        Cli.Result saved = Cli.run("train", "--steps", "2", "--stop-after", "1", "--samples", "0", "--block-size",
                "40000", "--save", run);
        assertEquals(0, saved.exitCode(), saved.stderr());
        String line = refusedForMemory("train", "--resume", run, "--engine", "array", "--samples", "0");
        assertTrue(line.contains("resume on the value engine"), "says what to do instead: " + line);
    }

    @Test
    void aRunWhoseLossHistoryExceedsTheHeapIsRefused() {
        // 2^31 - 1 steps keep 34 GB of losses (16 bytes a step at the peak of the array's growth);
        // before, the run started and would have taken weeks.
        String line = refusedForMemory("train", "--steps", "2147483647");
        assertTrue(line.contains("a loss history of 2147483647 steps"), "says what grows: " + line);
        assertTrue(line.contains("choose fewer --steps"), "says what to change: " + line);
    }

    @Test
    void aCheckpointWhoseTotalStepsLiesIsRefusedNamingTheField() throws IOException {
        // A checkpoint of a 2-step run stopped after 1, its total_steps rewritten to 2^31 - 1:
        // nothing else in it records the run's length, so it resumed and ran "the remaining"
        // 2,147,483,646 steps. Preemptively timed out, so that the test fails rather than hangs
        // if the check is lost.
        String run = dir.resolve("lying-total").toString();
        Cli.Result saved = Cli.run("train", "--steps", "2", "--stop-after", "1", "--save", run);
        assertEquals(0, saved.exitCode(), saved.stderr());
        Path trainer = Path.of(run, "trainer.json");
        Files.writeString(trainer, Files.readString(trainer).replace("\"total_steps\": 2,",
                "\"total_steps\": 2147483647,"));
        String line = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(120),
                () -> refusedForMemory("train", "--resume", run, "--samples", "0"));
        assertTrue(line.contains("\"trainer.total_steps\" (2147483647, in trainer.json)"), "names the field: " + line);
    }

    @Test
    void anArrayBlockSizeThatFitsStillRuns() {
        // 1000 positions: a workspace of about 37 MB.
        Cli.Result result = Cli.run("train", "--steps", "1", "--samples", "0", "--engine", "array",
                "--block-size", "1000");
        assertEquals(0, result.exitCode(), result.stderr());
        assertTrue(result.stdout().contains("num params: 19936"), result.stdout());
    }

    @Test
    void theCheckRefusesOnlyWhatExceedsTheLimit() {
        ModelMemory.check("the model", 1000, "why", "smaller", 1000);
        UsageException e = org.junit.jupiter.api.Assertions.assertThrows(UsageException.class,
                () -> ModelMemory.check("the model", 3L << 30, "why", "choose smaller --n-embd", 1L << 30));
        assertEquals("the model would need at least 3221225472 bytes of memory, 3.0 GiB (why), more than the "
                + "1073741824 bytes (1.0 GiB) this Java heap may use; choose smaller --n-embd, or give Java more "
                + "memory (for example JAVA_OPTS=-Xmx16g for ./microgpt)", e.getMessage());
    }

    @Test
    void theArrayWorkspaceGrowsWithTheSquareOfTheBlockSize() {
        // 1 layer, width 16, 4 heads, 27 tokens: 689 numbers a position, 4 T^2 attention weights,
        // and on top the arrays' headers and references (ModelMemoryTest checks them against a
        // real workspace).
        GptConfig small = new GptConfig(1, 16, 4, 16, 0.08);
        assertTrue(ModelMemory.arrayWorkspaceBytes(Precision.F64, small, 27) > 8 * (16 * 689 + 4 * 16 * 16));
        assertTrue(ModelMemory.arrayWorkspaceBytes(Precision.F32, small, 27) > 4 * (16 * 689 + 4 * 16 * 16));
        // Block size 10,000 ran in a 6.3 GB heap: the estimate must let it through (3.3 GB).
        long ran = ModelMemory.arrayWorkspaceBytes(Precision.F64, new GptConfig(1, 16, 4, 10_000, 0.08), 27);
        assertTrue(ran > 3_000_000_000L && ran < 3_500_000_000L, "" + ran);
        long twice = ModelMemory.arrayWorkspaceBytes(Precision.F64, new GptConfig(1, 16, 4, 20_000, 0.08), 27);
        assertTrue(twice > 3.9 * ran && twice < 4.1 * ran, "the square: " + twice + " against " + ran);
        assertEquals(Long.MAX_VALUE, ModelMemory.arrayWorkspaceBytes(Precision.F64,
                new GptConfig(1_000_000, 16, 4, Integer.MAX_VALUE, 0.08), 27), "saturates, never overflows");
    }

    @Test
    void theMemoryEstimateGrowsWithTheModelAndItsPositions() {
        GptConfig config = GptConfig.defaults();
        long array = ModelMemory.bytes(Engine.ARRAY, Precision.F64, Architecture.GPT, config, 27, 1000, 16);
        assertEquals(32_000, array, "weights, gradients and two moments in f64");
        assertEquals(16_000, ModelMemory.bytes(Engine.ARRAY, Precision.F32, Architecture.GPT, config, 27, 1000, 16),
                "in f32, at least");
        long value = ModelMemory.bytes(Engine.VALUE, Precision.F64, Architecture.GPT, config, 27, 4192, 16);
        long graph = ModelMemory.valueGraphBytes(Architecture.GPT, config, 27, 16);
        assertEquals(64 * 4192 + graph, value, "a Value and Adam's moments a parameter, and the graph");
        long twice = ModelMemory.valueGraphBytes(Architecture.GPT, config, 27, 32);
        assertTrue(twice > 2 * graph, "attention joins every pair of positions: more than linear");
        assertTrue(ModelMemory.valueGraphBytes(Architecture.BIGRAM, config, 27, 16)
                < ModelMemory.valueGraphBytes(Architecture.MLP, config, 27, 16), "a bigram computes less");
        assertEquals(Long.MAX_VALUE, ModelMemory.bytes(Engine.ARRAY, Precision.F64, Architecture.GPT, config, 27,
                Long.MAX_VALUE / 2, 1), "saturates, never overflows");
        assertEquals(Long.MAX_VALUE, ModelMemory.valueGraphBytes(Architecture.GPT,
                new GptConfig(1_000_000, 1 << 20, 4, Integer.MAX_VALUE, 0.08), 27, Integer.MAX_VALUE));
    }

    /**
     * The value engine's estimate is a lower bound, with a graph counted as the core counts it
     * (what a position reads and each pair attention joins): it took 44 bytes for every
     * parameter at every position, so 80 layers on 16-letter names (190 MB estimated) were
     * refused under -Xmx160m though they train there (not under -Xmx100m), and a block of 100,000 (1.2 GB
     * estimated, for the position embeddings' rows no step reads) under -Xmx256m though it trains
     * there. Both ran 20 steps in those heaps (7 December 2026).
     */
    @Test
    void theValueEnginesEstimateLetsThroughRunsThatFit() {
        GptConfig deep = GptConfig.defaults().withNLayer(80);
        long deepBytes = ModelMemory.bytes(Engine.VALUE, Precision.F64, Architecture.GPT, deep, 27,
                Architecture.GPT.numParameters(deep, 27), 16);
        assertTrue(deepBytes < 160L << 20, "80 layers: " + deepBytes);
        GptConfig longBlock = GptConfig.defaults().withBlockSize(100_000);
        long longBlockBytes = ModelMemory.bytes(Engine.VALUE, Precision.F64, Architecture.GPT, longBlock, 27,
                Architecture.GPT.numParameters(longBlock, 27), 16);
        assertTrue(longBlockBytes < 200L << 20, "a block of 100,000: " + longBlockBytes);
    }

    @Test
    void theTeachingAndReferenceSizesFitInASmallHeap() {
        // 256/4/8/64 on the array engine: 3.2 million parameters, about 100 MB.
        GptConfig teachingSize = new GptConfig(4, 256, 8, 64, 0.08);
        long teaching = ModelMemory.bytes(Engine.ARRAY, Precision.F64, Architecture.GPT, teachingSize, 27,
                3_178_240, 64) + ModelMemory.arrayWorkspaceBytes(Precision.F64, teachingSize, 27);
        assertTrue(teaching < 128L << 20, "" + teaching);
        long reference = ModelMemory.bytes(Engine.VALUE, Precision.F64, Architecture.GPT, GptConfig.defaults(), 27,
                4192, 16);
        assertTrue(reference < 8L << 20, "" + reference);
    }

    // ------------------------------------------------------------- output files that cannot be written

    @Test
    void aPlotInAnUnwritableDirectoryIsRefusedBeforeTraining() {
        assumeTrue(Files.isDirectory(Path.of("/proc")), "no /proc here");
        String[] args = {"train", "--steps", "1000", "--plot", "/proc/microgpt-x.svg"};
        Cli.Result result = Cli.run(args);
        Cli.assertOneLineError(result, 2, "--plot: cannot create /proc/microgpt-x.svg", "microgpt train", args);
        assertEquals("", result.stdout(), "nothing trained");
        String[] compare = {"compare", "--plot", "/proc/microgpt-x.svg", dir.toString(), dir.toString()};
        Cli.assertOneLineError(Cli.run(compare), 2, "--plot: cannot create /proc/microgpt-x.svg", "microgpt compare",
                compare);
        String[] graph = {"graph", "--expr", "x", "--var", "x=1", "--out", "/proc/microgpt-x.svg"};
        Cli.assertOneLineError(Cli.run(graph), 2, "--out: cannot create /proc/microgpt-x.svg", "microgpt graph", graph);
    }

    @Test
    void aPlotThatIsTheDataFileIsRefusedAndTheDataKept() throws Exception {
        // The data may end in .svg, or be reached under another name: the picture would replace it.
        String names = "emma\nolivia\nava\n";
        Path data = Files.writeString(dir.resolve("names.svg"), names);
        Path link = Files.createSymbolicLink(dir.resolve("link.svg"), data);
        for (Path plot : new Path[] {data, link, dir.resolve("sub/../names.svg")}) {
            Files.createDirectories(dir.resolve("sub"));
            String[] args = {"train", "--data", data.toString(), "--steps", "2", "--plot", plot.toString()};
            Cli.Result result = Cli.run(args);
            Cli.assertOneLineError(result, 2, "--plot: " + plot + " is the data file " + data, "microgpt train", args);
            assertEquals("", result.stdout(), "nothing trained");
            assertEquals(names, Files.readString(data), "the data file is intact");
        }
        // A resumed run reads the data file its checkpoint names.
        Path run = dir.resolve("run");
        assertEquals(0, Cli.run("train", "--data", data.toString(), "--steps", "3", "--stop-after", "1", "--save",
                run.toString()).exitCode());
        String[] resume = {"train", "--resume", run.toString(), "--plot", data.toString()};
        Cli.assertOneLineError(Cli.run(resume), 2, "--plot: " + data + " is the data file", "microgpt train", resume);
        assertEquals(names, Files.readString(data), "the data file is intact");
    }

    /**
     * An output named through a symbolic link is written through it: the link stays, the file it
     * leads to (in another folder, or not there yet) gets the picture. Before, the rename put a
     * plain file in the link's place and the file it led to kept its old contents.
     */
    @Test
    void anOutputThatIsASymbolicLinkIsWrittenThroughIt() throws Exception {
        Path elsewhere = Files.createDirectories(dir.resolve("elsewhere"));
        Path real = Files.writeString(elsewhere.resolve("g.dot"), "old");
        Path link = Files.createSymbolicLink(dir.resolve("g.dot"), Path.of("elsewhere/g.dot"));
        Path dangling = Files.createSymbolicLink(dir.resolve("new.svg"), elsewhere.resolve("new.svg"));
        for (Path out : new Path[] {link, dangling}) {
            String[] args = {"graph", "--expr", "x*y", "--var", "x=1", "--var", "y=2", "--out", out.toString()};
            assertEquals(0, Cli.run(args).exitCode());
            assertTrue(Files.isSymbolicLink(out), "the link " + out + " is still a link");
        }
        assertTrue(Files.readString(real).startsWith("digraph"), "the linked file has the new graph");
        assertTrue(Files.readString(elsewhere.resolve("new.svg")).contains("<svg"), "the dangling link's file made");
        try (var names = Files.list(elsewhere)) {
            assertEquals(2, names.count(), "no temporary file left beside the targets");
        }

        Path toFolder = Files.createSymbolicLink(dir.resolve("folder.svg"), elsewhere);
        String[] folder = {"graph", "--expr", "x", "--var", "x=1", "--out", toFolder.toString()};
        Cli.assertOneLineError(Cli.run(folder), 2, "--out: " + toFolder + " is a symbolic link to the directory "
                + elsewhere, "microgpt graph", folder);
        Path loopA = dir.resolve("a.svg");
        Files.createSymbolicLink(loopA, dir.resolve("b.svg"));
        Files.createSymbolicLink(dir.resolve("b.svg"), loopA);
        String[] loop = {"train", "--steps", "1", "--plot", loopA.toString()};
        Cli.Result result = Cli.run(loop);
        Cli.assertOneLineError(result, 2, "--plot: " + loopA + ": is a symbolic link whose chain of links never ends (a loop",
                "microgpt train", loop);
        assertEquals("", result.stdout(), "nothing trained");
        assertTrue(Files.isSymbolicLink(loopA), "the loop is left as it was");
    }

    @Test
    void aLateWriteFailureNamesTheTargetAndTheCauseNotTheTemporaryFile() {
        IOException missing = org.junit.jupiter.api.Assertions.assertThrows(IOException.class,
                () -> TextFiles.writeAtomically(dir.resolve("missing").resolve("plot.svg"), "x"));
        assertTrue(missing.getMessage().contains("missing"), missing.getMessage());
        // What the file system says about the temporary file is its reason, without the temporary name.
        String temporary = dir.resolve(".plot.svg.1.2.tmp").toString();
        assertEquals("No space left on device",
                TextFiles.reason(new java.nio.file.FileSystemException(temporary, null, "No space left on device")));
        assertEquals("permission denied", TextFiles.reason(new java.nio.file.AccessDeniedException(temporary)));
    }

    // ------------------------------------------------------------------------- graph's expressions

    @Test
    void anExpressionOfMoreThanTheLimitOfNodesIsRefused() {
        String[] args = {"graph", "--expr", "x" + "+x".repeat(3000), "--var", "x=1"};
        Cli.assertOneLineError(Cli.run(args), 2, "more than " + ExpressionParser.MAX_NODES + " nodes",
                "microgpt graph", args);
        Cli.Result ok = Cli.run("graph", "--expr", "x" + "+x".repeat(500), "--var", "x=1");
        assertEquals(0, ok.exitCode(), ok.stderr());
    }

    @Test
    void aLiteralThatIsNotFiniteIsRefusedLikeAVariable() {
        String[] args = {"graph", "--expr", "x*1e400", "--var", "x=1"};
        Cli.assertOneLineError(Cli.run(args), 2, "1e400 at column 3 of the expression is not finite", "microgpt graph",
                args);
        String[] var = {"graph", "--expr", "x", "--var", "x=1e400"};
        Cli.assertOneLineError(Cli.run(var), 2, "must be finite", "microgpt graph", var);
    }

    /** {@code x*1e-400} was drawn as {@code x*0} without a word, where {@code --var x=1e-400} is refused. */
    @Test
    void aLiteralThatRoundsToZeroIsRefusedLikeAVariable() {
        for (String literal : List.of("1e-400", "0." + "0".repeat(400) + "1")) {
            String[] args = {"graph", "--expr", "x*" + literal, "--var", "x=1"};
            Cli.Result result = Cli.run(args);
            Cli.assertOneLineError(result, 2, "at column 3 of the expression is too small: it rounds to 0",
                    "microgpt graph", args);
        }
        for (String zero : List.of("0", "0.0", "0e-400", "0.000")) {
            Cli.Result ok = Cli.run("graph", "--expr", "x*" + zero, "--var", "x=1");
            assertEquals(0, ok.exitCode(), zero + ": " + ok.stderr());
        }
    }

    /** A literal of 100,000 digits was quoted whole in its message: 100 KB on one line of stderr. */
    @Test
    void aLongLiteralIsQuotedShort() {
        String[] args = {"graph", "--expr", "1".repeat(100_000) + "*x", "--var", "x=1"};
        Cli.Result result = Cli.run(args);
        Cli.assertOneLineError(result, 2, "the number " + "1".repeat(40) + "... (100000 characters) at column 1"
                + " of the expression is not finite", "microgpt graph", args);
        assertTrue(result.stderr().length() < 400, "was 100 KB: " + result.stderr().length() + " characters");
    }
}
