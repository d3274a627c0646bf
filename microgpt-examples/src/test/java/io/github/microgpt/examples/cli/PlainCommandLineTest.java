package io.github.microgpt.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * {@code microgpt train} with a plain command line is read without picocli
 * ({@link TrainCommand#plainCommandLine}), to start sooner. These tests hold that reading to
 * picocli's: every option's field, and which options count as given, must come out the same, and
 * anything that is not plain must be left to picocli.
 */
class PlainCommandLineTest {

    private static final MicrogptCommand PARENT = new MicrogptCommand(new CliContext(new ByteArrayOutputStream(),
            new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8), Map.of(), null, null));

    @ParameterizedTest
    @ValueSource(strings = {
        "train",
        "train --data names.txt",
        "train --data=names.txt --steps 100",
        "train --steps 1 --seed 7 --temperature 0.25 --samples 0 --n-layer 2 --n-embd 32 --n-head 8 --block-size 8",
        "train --lr 0.001 --engine array --precision f32 --model mlp",
        "train --lr 1e-3 --temperature=2 --seed 123456789012345678",
        "train --lr 5E+2 --steps 0 --samples 0",
        "train --save run1 --stop-after 500 --save-every 100 --plot loss.svg",
        "train --resume run1 --save run1",
        "train --engine nonsense --model nonsense --precision nonsense",
        "train --data dir/with%20space.txt",
    })
    void aPlainCommandLineIsReadAsPicocliReadsIt(String line) throws Exception {
        String[] args = arguments(line);
        TrainCommand plain = TrainCommand.plainCommandLine(args, PARENT);
        assertNotNull(plain, "plain: " + line);
        TrainCommand picocli = parsedByPicocli(args);
        assertEquals(options(picocli), options(plain), line);
        for (String option : optionNames()) {
            assertEquals(given(picocli, option), given(plain, option), option + " given, in " + line);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "generate",
        "train --help",
        "train -h",
        "train --version",
        "train --steps",
        "train --steps -5",
        "train --seed -5",
        "train --steps +5",
        "train --steps 1_000",
        "train --steps 0x10",
        "train --steps 1e3",
        "train --samples 00",
        "train --steps 010",
        "train --steps 12345678901",
        "train --lr .5",
        "train --lr 1.",
        "train --lr 007",
        "train --lr 00.5",
        "train --lr +3",
        "train --lr NaN",
        "train --lr Infinity",
        "train --lr 0.5d",
        "train --steps 5 --steps 6",
        "train --bogus 1",
        "train --bogus=1",
        "train --data @args.txt",
        "train @args.txt",
        "train --data a=b",
        "train --data=",
        "train names.txt",
        "train -- --steps 5",
        "train --steps= 5",
    })
    void anythingElseIsLeftToPicocli(String line) {
        assertNull(TrainCommand.plainCommandLine(arguments(line), PARENT), line);
    }

    /**
     * The plain reader names the options a second time (reading picocli's annotations at run time
     * would cost about 40 ms of the start it saves); this keeps the two lists one: every option
     * the annotations declare with a value is read by it, as picocli reads it.
     */
    @Test
    void everyAnnotatedOptionIsReadPlainlyAsPicocliReadsIt() throws Exception {
        for (Field field : TrainCommand.class.getDeclaredFields()) {
            Option option = field.getAnnotation(Option.class);
            if (option == null || option.usageHelp() || option.versionHelp()) {
                continue;
            }
            Class<?> type = field.getType();
            String value = type == int.class || type == Integer.class ? "3"
                    : type == long.class ? "7"
                    : type == double.class ? "0.25"
                    : "some-name";
            for (String name : option.names()) {
                String[] args = {"train", name, value};
                TrainCommand plain = TrainCommand.plainCommandLine(args, PARENT);
                assertNotNull(plain, name + " " + value + " should be read without picocli");
                assertEquals(options(parsedByPicocli(args)), options(plain), name + " " + value);
                assertTrue(given(plain, name), name + " given");
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "--steps 2 --samples 1", "--steps=2 --samples=1 --data"})
    void bothWaysPrintTheSame(String options) {
        // The last case is not plain (--data has no value): picocli reports it, as before.
        String line = "train " + options;
        Cli.Result result = Cli.run(arguments(line.strip()));
        if (options.endsWith("--data")) {
            assertEquals(2, result.exitCode());
            assertTrue(result.stderr().startsWith("microgpt: missing required parameter for option '--data'"),
                    result.stderr());
            return;
        }
        assertEquals(0, result.exitCode(), result.stderr());
        assertEquals("", result.stderr());
        assertTrue(result.stdout().startsWith("num docs: "), result.stdout());
    }

    @Test
    void aMistakeFoundAfterReadingIsReportedAsUnderPicocli() {
        Cli.Result result = Cli.run("train", "--steps", "0");
        assertEquals(2, result.exitCode());
        assertEquals("microgpt: --steps must be at least 1, got 0; try 'microgpt train --help'\n", result.stderr());
    }

    /** The words of a line; %20 stands for a space inside a word. */
    private static String[] arguments(String line) {
        String[] words = line.split(" ");
        for (int i = 0; i < words.length; i++) {
            words[i] = words[i].replace("%20", " ");
        }
        return words;
    }

    private static TrainCommand parsedByPicocli(String[] args) {
        CommandLine commandLine = MicrogptCommand.commandLine(PARENT.context());
        CommandLine.ParseResult result = commandLine.parseArgs(args);
        return (TrainCommand) result.subcommand().commandSpec().userObject();
    }

    /** Every option field of the command by name, as text (a Path, a number, a string or null). */
    private static Map<String, String> options(TrainCommand command) throws IllegalAccessException {
        Map<String, String> values = new TreeMap<>();
        for (Field field : TrainCommand.class.getDeclaredFields()) {
            if (field.isAnnotationPresent(Option.class)) {
                field.setAccessible(true);
                values.put(field.getName(), String.valueOf(field.get(command)));
            }
        }
        assertTrue(values.size() >= 18, "the option fields: " + values.keySet());
        return values;
    }

    private static List<String> optionNames() {
        List<String> names = new ArrayList<>();
        for (Field field : TrainCommand.class.getDeclaredFields()) {
            Option option = field.getAnnotation(Option.class);
            if (option != null) {
                names.addAll(List.of(option.names()));
            }
        }
        return names;
    }

    private static boolean given(TrainCommand command, String option) throws Exception {
        var method = TrainCommand.class.getDeclaredMethod("given", String.class);
        method.setAccessible(true);
        return (Boolean) method.invoke(command, option);
    }
}
