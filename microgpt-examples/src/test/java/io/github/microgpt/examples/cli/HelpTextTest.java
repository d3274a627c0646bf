package io.github.microgpt.examples.cli;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Every {@code --help} reads as written: full sentences, laid out at 80 columns on any terminal,
 * lines broken only between words; and {@code microgpt help [COMMAND]} prints the same.
 */
class HelpTextTest {

    /** The top command and each subcommand, by the arguments that ask for their help. */
    private static final List<List<String>> COMMANDS = List.of(List.of(), List.of("train"), List.of("generate"),
            List.of("simulator"), List.of("bench"), List.of("graph"), List.of("compare"));

    @TestFactory
    Stream<DynamicTest> everyHelpIsAtMost80ColumnsAndBreaksOnlyBetweenWords() {
        return COMMANDS.stream().map(command -> DynamicTest.dynamicTest("microgpt " + String.join(" ", command) + " --help",
                () -> {
                    String help = help(command);
                    String wide = wideHelp(command);
                    for (String line : help.split("\n", -1)) {
                        assertTrue(line.length() <= MicrogptCommand.HELP_WIDTH, "longer than 80 columns: \"" + line + "\"");
                    }
                    // Breaking a line only replaces a space with a line break and indentation, so the words of the
                    // help are those of the same help laid out on one very wide line per paragraph.
                    assertSameWords(words(wide), words(help));
                }));
    }

    @Test
    void everyCommandIsLaidOutAt80ColumnsWhateverTheTerminal() {
        CommandLine top = MicrogptCommand.commandLine(context());
        List<CommandLine> all = new ArrayList<>(List.of(top));
        all.addAll(top.getSubcommands().values());
        for (CommandLine command : all) {
            String name = command.getCommandSpec().qualifiedName();
            assertFalse(command.isUsageHelpAutoWidth(), name + " does not follow the terminal's width");
            assertEquals(MicrogptCommand.HELP_WIDTH, command.getUsageHelpWidth(), name);
        }
    }

    @TestFactory
    Stream<DynamicTest> helpCommandPrintsWhatHelpOptionPrints() {
        return COMMANDS.stream().map(command -> DynamicTest.dynamicTest("microgpt help " + String.join(" ", command), () -> {
            List<String> args = new ArrayList<>(List.of("help"));
            args.addAll(command);
            Cli.Result result = Cli.run(args.toArray(String[]::new));
            assertEquals(0, result.exitCode(), result.toString());
            assertEquals("", result.stderr());
            assertEquals(help(command), result.stdout());
        }));
    }

    @Test
    void helpOfAnUnknownCommandIsAOneLineUsageError() {
        Cli.Result result = Cli.run("help", "frobnicate");

        Cli.assertOneLineError(result, 2, "unknown command 'frobnicate' (the commands are: train, generate, simulator,"
                + " bench, graph, compare, help)", "microgpt", "help", "frobnicate");
    }

    @Test
    void theTopHelpNamesEachCommandInAWholeSentence() {
        String help = help(List.of());
        assertTrue(help.contains("\n  help       Display help information about the specified command.\n"), help);
        assertTrue(help.contains("Run 'microgpt help COMMAND' or 'microgpt COMMAND --help'"), help);
    }

    @TestFactory
    Stream<DynamicTest> descriptionsAreFullSentences() {
        CommandLine top = MicrogptCommand.commandLine(context());
        List<CommandSpec> specs = new ArrayList<>();
        specs.add(top.getCommandSpec());
        top.getSubcommands().values().forEach(sub -> specs.add(sub.getCommandSpec()));
        return specs.stream().map(spec -> DynamicTest.dynamicTest(spec.qualifiedName(), () -> {
            List<String> texts = new ArrayList<>(Arrays.asList(spec.usageMessage().description()));
            spec.usageMessage().exitCodeList().values().forEach(texts::add);
            for (OptionSpec option : spec.options()) {
                texts.add(String.join(" ", option.description()));
            }
            assertAll(texts.stream().map(text -> () -> {
                String plain = text.replace("%n", "").strip();
                assertTrue(!plain.isEmpty() && (Character.isUpperCase(plain.codePointAt(0)) || Character.isDigit(plain.charAt(0))),
                        spec.qualifiedName() + ": begins with a capital: \"" + plain + "\"");
                assertTrue(plain.endsWith("."), spec.qualifiedName() + ": ends with a full stop: \"" + plain + "\"");
            }));
        }));
    }

    private static CliContext context() {
        return new CliContext(new ByteArrayOutputStream(), new PrintStream(new ByteArrayOutputStream(), true,
                StandardCharsets.UTF_8), Map.of(), null, null);
    }

    private static String help(List<String> command) {
        List<String> args = new ArrayList<>(command);
        args.add("--help");
        Cli.Result result = Cli.run(args.toArray(String[]::new));
        assertEquals(0, result.exitCode(), result.toString());
        return result.stdout();
    }

    /** The same help with room for every paragraph on one line. */
    private static String wideHelp(List<String> command) {
        CommandLine commandLine = MicrogptCommand.commandLine(context());
        commandLine.setUsageHelpWidth(10_000);
        for (String name : command) {
            commandLine = commandLine.getSubcommands().get(name);
        }
        return commandLine.getUsageMessage();
    }

    private static void assertSameWords(List<String> expected, List<String> actual) {
        int i = 0;
        while (i < expected.size() && i < actual.size() && expected.get(i).equals(actual.get(i))) {
            i++;
        }
        if (i < expected.size() || i < actual.size()) {
            List<String> before = expected.subList(Math.max(0, i - 4), i);
            throw new AssertionError("a word was cut at a line break after \"" + String.join(" ", before) + "\": \""
                    + (i < expected.size() ? expected.get(i) : "") + "\" became \"" + (i < actual.size() ? actual.get(i) : "")
                    + "\"");
        }
    }

    private static List<String> words(String text) {
        return Arrays.stream(text.split("\\s+")).filter(word -> !word.isEmpty()).toList();
    }
}
