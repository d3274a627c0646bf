package io.github.microgpt.examples.cli;

import io.github.microgpt.examples.simulator.SimulatorCommand;
import io.github.microgpt.text.VisibleText;
import io.github.microgpt.train.TrainingDivergedException;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * The {@code microgpt} command: the entry point of {@code microgpt.jar} and of the
 * {@code ./microgpt} script at the top of the repository.
 *
 * <p>Each action is a subcommand ({@code microgpt train ...}). To add one, write a class
 * annotated with {@code @Command(name = "...")} that implements {@code Callable<Integer>}, has a
 * no-argument constructor and a field {@code @ParentCommand MicrogptCommand parent} (through which
 * it reaches {@link #context()}: stdout, stderr, the environment), and add it to the
 * {@code SUBCOMMANDS} list below: one line.
 *
 * <p>How errors look is decided here, once for every subcommand:
 * <ul>
 *   <li>a mistake on the command line (unknown option, missing or malformed value) or a
 *       {@link UsageException} thrown by the subcommand prints one line on stderr,
 *       {@code microgpt: <message>; try 'microgpt <command> --help'}, and exits with 2;</li>
 *   <li>a {@link TrainingDivergedException} or a {@link CommandFailedException} prints one line
 *       and exits with 1 (or the code the exception carries);</li>
 *   <li>an {@link OutOfMemoryError} prints one line saying so and how to give Java more memory,
 *       and exits with 1;</li>
 *   <li>anything else is a bug: one line naming the exception, exit code 1, and the stack trace
 *       only when the environment variable {@code MICROGPT_DEBUG} is set.</li>
 * </ul>
 *
 * <p>Help is laid out at a fixed width of {@value #HELP_WIDTH} columns whatever the terminal, and
 * {@code microgpt help [COMMAND]} prints the same as {@code microgpt [COMMAND] --help}.
 */
@Command(name = "microgpt",
        mixinStandardHelpOptions = true,
        versionProvider = MicrogptCommand.Version.class,
        description = "A tiny GPT trained from first principles: a Java port of Karpathy's microgpt.py.",
        synopsisSubcommandLabel = "COMMAND",
        usageHelpWidth = MicrogptCommand.HELP_WIDTH,
        usageHelpAutoWidth = false,
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:Success.",
            "1:The run failed (training diverged, memory ran out, or an internal error).",
            "2:Invalid usage or input (a bad option, value or data file).",
            "130:Stopped by Ctrl-C (SIGINT; 143: by SIGTERM), as the JVM exits on a signal: 128 + its number.",
            "141:Stdout was closed by its reader (a pipe into head, say): the command stopped quietly."},
        footer = {"%nNumbers, in every option and --var, are written as JSON writes them: 42, -5, 0.01, 5e-3;"
            + " no plus sign, spaces, leading zeros or bare point (.5, 1.).",
            "%nRun 'microgpt help COMMAND' or 'microgpt COMMAND --help' for the options of a command."})
public final class MicrogptCommand implements Callable<Integer> {

    /** The subcommands, in the order help lists them. */
    private static final List<Class<?>> SUBCOMMANDS = List.of(
            TrainCommand.class,
            GenerateCommand.class,
            SimulatorCommand.class,
            BenchCommand.class,
            GraphCommand.class,
            CompareCommand.class,
            CommandLine.HelpCommand.class);

    /**
     * Commands that a run names first and that need no other: {@link #execute} then builds only
     * that one. Picocli reads every command's annotations by reflection when it is added, about
     * 70 ms of the main thread for the other five on JDK 17, a run of {@code train} being a
     * second or so.
     */
    private static final Map<String, Class<?>> ALONE = Map.of("train", TrainCommand.class,
            "generate", GenerateCommand.class);

    /** The environment variable that makes unexpected errors print their stack trace. */
    public static final String DEBUG_VARIABLE = "MICROGPT_DEBUG";

    /** The width of every help text, in columns: the same on every terminal, so it reads as written. */
    public static final int HELP_WIDTH = 80;

    private final CliContext context;

    @Spec
    private CommandSpec spec;

    /**
     * Creates the command for a context. Picocli needs no-argument constructors only for the
     * subcommands; the top command is made here, with its context.
     *
     * @param context where the commands read and write
     */
    public MicrogptCommand(CliContext context) {
        this.context = context;
    }

    /**
     * The context the subcommands read and write through.
     *
     * @return the context given at construction
     */
    public CliContext context() {
        return context;
    }

    /**
     * Runs when no subcommand is given, which is a usage mistake.
     *
     * @return never returns normally
     * @throws UsageException naming the available commands
     */
    @Override
    public Integer call() {
        throw new UsageException("a command is required: " + String.join(", ", spec.subcommands().keySet()));
    }

    /**
     * Runs the program in a real process and exits with its exit code.
     *
     * @param args the command line, for example {@code train --steps 100}
     */
    public static void main(String[] args) {
        System.exit(execute(CliContext.system(), args));
    }

    /**
     * Runs the program in a given context without exiting: what {@link #main(String[])} does,
     * and what tests call with captured streams.
     *
     * @param context where to read and write
     * @param args the command line
     * @return the exit code: 0 on success, 1 if the run failed, 2 on a usage mistake
     */
    public static int execute(CliContext context, String... args) {
        try {
            return executeCommand(context, args);
        } catch (OutOfMemoryError e) {
            // train and bench say so in their own words; any other command (a sample, a comparison,
            // a graph) that runs out of memory, which the checks before it could not foresee, ends
            // with one line too, not the JVM's stack trace.
            context.err().println("microgpt: out of memory: this command needs more than the Java heap holds "
                    + "(give the JVM more, for example JAVA_OPTS=-Xmx4g)");
            context.err().flush();
            return CommandFailedException.FAILED;
        }
    }

    private static int executeCommand(CliContext context, String... args) {
        String extraHelpWords = helpOfSeveralCommands(args);
        if (extraHelpWords != null) {
            PrintWriter err = new PrintWriter(context.err(), true);
            usageError(err, "microgpt", extraHelpWords);
            return CommandLine.ExitCode.USAGE;
        }
        TrainCommand plain = TrainCommand.plainCommandLine(args, new MicrogptCommand(context));
        if (plain != null) {
            return executeWithoutPicocli(plain, context);
        }
        Class<?> alone = args.length == 0 ? null : ALONE.get(args[0]);
        WriteErrors stdout = new WriteErrors(context.out());
        CommandLine commandLine = commandLine(context, alone == null ? SUBCOMMANDS : List.of(alone), stdout);
        int code;
        try {
            code = commandLine.execute(args);
        } finally {
            commandLine.getOut().flush();
            commandLine.getErr().flush();
        }
        // picocli writes help and the version through a PrintWriter, which keeps write errors to
        // itself: 'microgpt help train > /dev/full' ended with 0 and wrote nothing.
        IOException failed = stdout.first;
        if (failed != null && code == 0) {
            if (String.valueOf(failed.getMessage()).contains("Broken pipe")) {
                return CommandFailedException.BROKEN_PIPE;  // the reader has gone: as LineOutput, quietly
            }
            context.err().println("microgpt: cannot write to stdout: " + failed.getMessage());
            context.err().flush();
            return CommandFailedException.FAILED;
        }
        return code;
    }

    /** An output stream that passes everything on and keeps the first write error it meets. */
    private static final class WriteErrors extends java.io.FilterOutputStream {
        private IOException first;

        WriteErrors(OutputStream out) {
            super(out);
        }

        @Override
        public void write(int b) throws IOException {
            try {
                out.write(b);
            } catch (IOException e) {
                throw remember(e);
            }
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            try {
                out.write(b, off, len);
            } catch (IOException e) {
                throw remember(e);
            }
        }

        @Override
        public void flush() throws IOException {
            try {
                out.flush();
            } catch (IOException e) {
                throw remember(e);
            }
        }

        private IOException remember(IOException e) {
            if (first == null) {
                first = e;
            }
            return e;
        }
    }

    /**
     * Runs a {@code train} whose plain command line {@link TrainCommand#plainCommandLine} has read
     * (picocli would have read it the same way), with the error handling described above.
     */
    private static int executeWithoutPicocli(TrainCommand command, CliContext context) {
        PrintWriter err = new PrintWriter(context.err(), true);
        try {
            return command.call();
        } catch (Exception e) {
            return handleFailure(e, err, "microgpt train", context);
        } finally {
            err.flush();
        }
    }

    /**
     * Builds the picocli command line with the error handling described above.
     *
     * @param context where to read and write
     * @return the command line, ready to {@code execute}
     */
    public static CommandLine commandLine(CliContext context) {
        return commandLine(context, SUBCOMMANDS);
    }

    private static CommandLine commandLine(CliContext context, List<Class<?>> subcommands) {
        return commandLine(context, subcommands, context.out());
    }

    private static CommandLine commandLine(CliContext context, List<Class<?>> subcommands, OutputStream stdout) {
        CommandLine commandLine = new CommandLine(new MicrogptCommand(context));
        for (Class<?> subcommand : subcommands) {
            commandLine.addSubcommand(subcommand);
        }
        // Set on the whole tree, so that no subcommand follows the terminal's width.
        commandLine.setUsageHelpAutoWidth(false);
        commandLine.setUsageHelpWidth(HELP_WIDTH);
        commandLine.setOut(new PrintWriter(new OutputStreamWriter(stdout, StandardCharsets.UTF_8), true));
        commandLine.setErr(new PrintWriter(context.err(), true));
        // No argument files: picocli read every argument "@NAME" that names a file as that file's
        // lines, whole, before any check: "@/dev/zero" spun until killed, "@/dev/urandom" ended in a
        // stack trace, "@fifo" waited for a writer, and "--prefix @x" became the lines of a file x.
        // An argument that starts with '@' is now what it says.
        commandLine.setExpandAtFiles(false);
        commandLine.registerConverter(Path.class, MicrogptCommand::path);
        // Integer.parseInt takes +5, 010 and any Unicode digit; every command's integers are plain.
        commandLine.registerConverter(Integer.class, WholeNumber.INT);
        commandLine.registerConverter(int.class, WholeNumber.INT);
        commandLine.registerConverter(Long.class, WholeNumber.LONG);
        commandLine.registerConverter(long.class, WholeNumber.LONG);
        // Double.parseDouble takes +3, " 3", 0x1p3 and 1d, and reads 1e-400 as 0: bench --seconds,
        // which named no converter, took them all. Every fractional option is read as --lr is.
        commandLine.registerConverter(Double.class, new PositiveNumber());
        commandLine.registerConverter(double.class, new PositiveNumber());
        commandLine.setParameterExceptionHandler(MicrogptCommand::handleParameterException);
        commandLine.setExecutionExceptionHandler((e, failed, parseResult) ->
                handleFailure(e, failed.getErr(), helpCommandOf(failed), context));
        return commandLine;
    }

    /**
     * A file or directory named on the command line. An empty name is refused: Java reads it as
     * the current directory, so {@code --save ''} would otherwise be taken for "here".
     */
    private static Path path(String name) {
        if (name.isEmpty()) {
            throw new CommandLine.TypeConversionException("the name is empty; give a file or directory");
        }
        try {
            return Path.of(name);
        } catch (InvalidPathException e) {
            // Java's reason, "Malformed input or input contains unmappable characters", says nothing
            // of the cause: a character the locale's character set cannot write (U+FFFD, from bytes
            // of the command line it could not read, in the C locale; usageError explains that).
            String reason = name.chars().anyMatch(c -> c >= 0x80) ? "it holds a character that the locale's"
                    + " character set (" + localeCharset() + ") cannot write" : e.getReason();
            throw new CommandLine.TypeConversionException("'" + name + "' cannot be a file name: " + reason);
        }
    }

    /** The character set of the locale, in which Java reads the command line and writes file names. */
    static String localeCharset() {
        String name = System.getProperty("sun.jnu.encoding", System.getProperty("native.encoding", "unknown"));
        try {
            return java.nio.charset.Charset.forName(name).name();  // US-ASCII, not ANSI_X3.4-1968
        } catch (IllegalArgumentException e) {
            return name;
        }
    }

    /**
     * What a message that quotes U+FFFD adds: Java reads the command line in the locale's character
     * set, and puts U+FFFD in place of each byte it cannot read there (a file name written in
     * another encoding, or any non-ASCII byte in the C locale), so that the value the message
     * quotes is not what was typed, and a file of that name cannot be found.
     */
    static String undecodedHint() {
        return "U+FFFD stands for bytes of the command line that are not valid " + localeCharset() + ", the character"
                + " set of the locale (LANG, LC_ALL): Java cannot read them, nor open a file whose name holds them;"
                + " run in a UTF-8 locale (for example LC_ALL=C.UTF-8), or rename the file";
    }

    /** How picocli's HelpCommand starts its message for {@code microgpt help frobnicate}. */
    private static final String HELP_UNKNOWN_COMMAND = "Unknown subcommand '";

    /**
     * The refusal of {@code microgpt help train train} (or {@code help train --steps}): picocli's
     * help command shows the first name's help and drops the rest without a word, as if they had
     * been read. Help of one command is what it shows, so more words are a mistake, named as one.
     * A help option among them ({@code help train --help}) is left to picocli: help wins.
     *
     * @return the message, or null when the command line is not such a one
     */
    static String helpOfSeveralCommands(String[] args) {
        if (args.length < 3 || !"help".equals(args[0]) || helpOrVersionAsked(args) != null) {
            return null;
        }
        List<String> words = java.util.Arrays.asList(args).subList(1, args.length);
        String quoted = words.stream().map(word -> "'" + WholeNumber.excerpt(word) + "'")
                .collect(java.util.stream.Collectors.joining(", "));
        return "'microgpt help' takes one command name, got " + words.size() + " (" + quoted + "); 'microgpt help "
                + WholeNumber.excerpt(words.get(0)) + "' shows all of its options";
    }

    /**
     * Which standard help option the command line holds before a {@code --} (after which every
     * argument is a plain value): {@code "help"} for {@code -h} or {@code --help}, else
     * {@code "version"} for {@code -V} or {@code --version}, else null. The same arguments as
     * the {@code ./microgpt} script's {@code help_or_version_asked}.
     */
    static String helpOrVersionAsked(String[] args) {
        String asked = null;
        for (String arg : args) {
            if (arg.equals("--")) {
                break;
            }
            if (arg.equals("-h") || arg.equals("--help")) {
                return "help";
            }
            if (arg.equals("-V") || arg.equals("--version")) {
                asked = "version";
            }
        }
        return asked;
    }

    private static int handleParameterException(ParameterException e, String[] args) {
        CommandLine where = e.getCommandLine();
        // Help wins, as in git and in picocli when the line has no malformed value: 'train --help
        // --steps x' is a request for the options, not a run to check. Picocli answers help only
        // after the whole line is read, so a value it cannot convert came first, as an error.
        String asked = helpOrVersionAsked(args);
        if ("help".equals(asked)) {
            where.usage(where.getOut());
            return where.getCommandSpec().exitCodeOnUsageHelp();
        }
        if ("version".equals(asked)) {
            where.printVersionHelp(where.getOut());
            return where.getCommandSpec().exitCodeOnVersionHelp();
        }
        String message = e.getMessage();
        String afterEnd = e instanceof UnmatchedArgumentException unmatched
                ? afterEndOfOptions(unmatched.getUnmatched(), args, where) : null;
        if (afterEnd != null) {
            message = afterEnd;
        } else if (e instanceof UnmatchedArgumentException unmatched && !where.getSubcommands().isEmpty()
                && !unmatched.getUnmatched().isEmpty() && !unmatched.getUnmatched().get(0).startsWith("-")) {
            // Picocli calls an unknown command an "unmatched argument at index 0"; name it plainly.
            message = unknownCommand(unmatched.getUnmatched().get(0), where);
        } else if (message != null && message.startsWith(HELP_UNKNOWN_COMMAND)
                && message.lastIndexOf('\'') >= HELP_UNKNOWN_COMMAND.length()) {  // 'help ""' too
            // "microgpt help frobnicate": picocli's HelpCommand words it differently; say it as above.
            String name = message.substring(HELP_UNKNOWN_COMMAND.length(), message.lastIndexOf('\''));
            message = unknownCommand(name, where);
        } else if (e instanceof UnmatchedArgumentException unmatched && !unmatched.getUnmatched().isEmpty()) {
            message = unmatchedArguments(unmatched.getUnmatched(), args, where);
        }
        usageError(where, message);
        return CommandLine.ExitCode.USAGE;
    }

    /**
     * The message for arguments no option or parameter took, with each argument cut to an
     * excerpt (picocli quotes them whole: an option name of 100,000 characters made an error
     * "line" of 100,060 bytes), and without the value of an unknown option: picocli cannot know
     * that {@code 3} in {@code --bogus 3} belongs to {@code --bogus}, and called both unknown
     * options ("Unknown options: '--bogus', '3'"). An unknown option close to a known one names
     * it ({@link #closest}); one that belongs to a command, typed before the command's name
     * ({@code microgpt --steps 3 train}), says so; arguments that are not options are named with
     * what the command does take.
     */
    static String unmatchedArguments(List<String> unmatched, String[] args, CommandLine where) {
        List<String> named = withoutValues(unmatched, args);
        String quoted = named.stream().map(argument -> "'" + WholeNumber.excerpt(argument) + "'")
                .collect(java.util.stream.Collectors.joining(", "));
        if (named.stream().anyMatch(argument -> argument.startsWith("-"))) {
            String option = optionName(named.get(0));
            List<String> owners = named.size() != 1 ? List.of() : where.getSubcommands().entrySet().stream()
                    .filter(command -> command.getValue().getCommandSpec().optionsMap().containsKey(option))
                    .map(Map.Entry::getKey).toList();
            String suggestion = named.size() == 1 && owners.isEmpty()
                    ? closest(option, where.getCommandSpec().optionsMap().keySet()) : null;
            return (named.size() == 1 ? "unknown option: " : "unknown options: ") + quoted
                    + (suggestion == null ? "" : " (did you mean '" + suggestion + "'?)")
                    + (owners.isEmpty() ? "" : " here: it is an option of " + (owners.size() == 1 ? owners.get(0)
                            : String.join(", ", owners.subList(0, owners.size() - 1)) + " and "
                                    + owners.get(owners.size() - 1)) + ", and comes after the command's name, as in '"
                            + where.getCommandSpec().qualifiedName() + " " + owners.get(0) + " "
                            + WholeNumber.excerpt(option) + " ...'");
        }
        // Stray arguments, no option among them. Picocli's words, "Unmatched argument at index 1: 'x'",
        // count from 0 after the command's name and do not say what the command does take.
        CommandSpec command = where.getCommandSpec();
        String these = (named.size() == 1 ? "the argument " : "the arguments ") + quoted;
        List<String> labels = command.positionalParameters().stream().map(p -> p.paramLabel()).toList();
        // The parent may hold this command alone (ALONE), so the names come from the annotations.
        String oneCommand = where.getParent() != null && SUBCOMMANDS.stream()
                .anyMatch(type -> type.getAnnotation(Command.class).name().equals(named.get(0)))
                ? " (one command at a time)" : "";
        return "'" + command.qualifiedName() + "' takes " + (labels.isEmpty() ? "options only" : "the arguments "
                + String.join(" ", labels) + " and options") + ", not " + (labels.isEmpty() ? "" : "also ") + these
                + oneCommand;
    }

    /**
     * The message for arguments left over because they come after {@code --}, which ends the
     * options: picocli takes every argument after it as a positional one, and no command takes
     * any. They were called "unknown option: '--steps'" (of {@code train -- --steps 1}) or
     * "unknown command 'train'" (of {@code -- train}), which sent the user looking for a typo in
     * an option or command that exists.
     *
     * @return the message, or null if some unmatched argument comes before the first {@code --}
     */
    private static String afterEndOfOptions(List<String> unmatched, String[] args, CommandLine where) {
        int end = java.util.Arrays.asList(args).indexOf("--");
        if (end < 0 || unmatched.isEmpty()) {
            return null;
        }
        int next = 0;
        for (int i = end + 1; i < args.length && next < unmatched.size(); i++) {
            if (args[i].equals(unmatched.get(next))) {
                next++;
            }
        }
        if (next < unmatched.size()) {
            return null;
        }
        String quoted = unmatched.stream().map(argument -> "'" + WholeNumber.excerpt(argument) + "'")
                .collect(java.util.stream.Collectors.joining(", "));
        return "'--' ends the options: an argument after it is read as neither an option nor a command, and '"
                + where.getCommandSpec().qualifiedName() + "' takes no other arguments (got " + quoted
                + "); remove the '--'";
    }

    /**
     * The unmatched arguments without those that are the value of an unknown option before them:
     * an argument that does not start with '-', typed right after an unknown option written
     * without '='. The unmatched arguments are in the command line's order, so they are found in
     * it by walking both lists together.
     */
    private static List<String> withoutValues(List<String> unmatched, String[] args) {
        List<String> named = new java.util.ArrayList<>();
        int next = 0;
        int previousAt = -2;
        String previous = null;
        for (int i = 0; i < args.length && next < unmatched.size(); i++) {
            if (!args[i].equals(unmatched.get(next))) {
                continue;
            }
            String argument = unmatched.get(next++);
            boolean value = previousAt == i - 1 && previous.startsWith("-") && previous.indexOf('=') < 0
                    && !argument.startsWith("-");
            if (!value) {
                named.add(argument);
            }
            previous = argument;
            previousAt = i;
        }
        // Arguments not found in the line (picocli changed them): kept, so that nothing is hidden.
        named.addAll(unmatched.subList(next, unmatched.size()));
        return named;
    }

    private static String unknownCommand(String name, CommandLine where) {
        String suggestion = closest(name, where.getSubcommands().keySet());
        return "unknown command '" + WholeNumber.excerpt(name) + "'" + (suggestion == null ? "" : "; did you mean '"
                + suggestion + "'?") + " (the commands are: " + String.join(", ", where.getSubcommands().keySet()) + ")";
    }

    /**
     * The one known name closest to a name typed, for "did you mean": the same name in another
     * case ({@code TRAIN}, {@code --Steps}: names are lower case, and picocli matches them
     * exactly, while the values of --model, --engine and --precision are read in any case), else
     * the one name at the smallest edit distance, if that is at most 2 and below a third of the
     * name's length ({@code --step}, {@code trian}); null when there is none or a tie.
     */
    static String closest(String typed, java.util.Collection<String> known) {
        String lower = typed.toLowerCase(Locale.ROOT);
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        boolean tie = false;
        for (String name : known) {
            if (name.toLowerCase(Locale.ROOT).equals(lower)) {
                return name;
            }
            int distance = editDistance(lower, name.toLowerCase(Locale.ROOT), 3);
            if (distance < bestDistance) {
                best = name;
                bestDistance = distance;
                tie = false;
            } else if (distance == bestDistance) {
                tie = true;
            }
        }
        return best != null && !tie && bestDistance <= 2 && bestDistance * 3 < typed.length() ? best : null;
    }

    /** An option as typed without its value, if written with '=' ({@code --Steps=3}). */
    private static String optionName(String argument) {
        int equals = argument.indexOf('=');
        return equals < 0 ? argument : argument.substring(0, equals);
    }

    /** The edit distance of two names (a swap of neighbours counts as one edit), or {@code limit} when it is at least that (a long name is not compared). */
    private static int editDistance(String a, String b, int limit) {
        if (Math.abs(a.length() - b.length()) >= limit || a.length() > 100) {
            return limit;
        }
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(d[i - 1][j - 1] + cost, Math.min(d[i - 1][j], d[i][j - 1]) + 1);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return Math.min(d[a.length()][b.length()], limit);
    }

    private static int handleFailure(Exception e, PrintWriter err, String command, CliContext context) {
        if (e instanceof UsageException) {
            usageError(err, command, e.getMessage());
            return CommandLine.ExitCode.USAGE;
        }
        if (e instanceof TrainingDivergedException) {
            err.println("microgpt: " + oneLine(e.getMessage()) + "; " + TrainCommand.NEW_RUN_ADVICE);
            err.flush();
            return CommandFailedException.FAILED;
        }
        if (e instanceof CommandFailedException failure) {
            if (failure.getMessage() != null) {
                err.println("microgpt: " + oneLine(failure.getMessage()));
                err.flush();
            }
            return failure.exitCode();
        }
        err.println("microgpt: internal error: " + oneLine(String.valueOf(e))
                + (context.getenv(DEBUG_VARIABLE) == null ? " (set " + DEBUG_VARIABLE + "=1 to see where)" : ""));
        if (context.getenv(DEBUG_VARIABLE) != null) {
            e.printStackTrace(err);
        }
        err.flush();
        return CommandFailedException.FAILED;
    }

    /** One line: what was wrong, and where the command's options are described. */
    private static void usageError(CommandLine where, String message) {
        usageError(where.getErr(), helpCommandOf(where), message);
    }

    private static void usageError(PrintWriter err, String command, String message) {
        String cause = lowercaseFirst(oneLine(message));
        if (cause.endsWith(".")) {
            cause = cause.substring(0, cause.length() - 1);
        }
        if (message != null && message.indexOf('\uFFFD') >= 0) {
            cause += " (" + undecodedHint() + ")";
        }
        err.println("microgpt: " + cause + "; try '" + command + " --help'");
        err.flush();
    }

    /** The command whose help explains a mistake: {@code microgpt help x} is explained by {@code microgpt --help}. */
    private static String helpCommandOf(CommandLine where) {
        CommandLine command = where;
        if (command.getCommand() instanceof CommandLine.HelpCommand && command.getParent() != null) {
            command = command.getParent();
        }
        return command.getCommandSpec().qualifiedName();
    }

    /**
     * A message as one line. Messages are written as one line, but they quote what the user
     * typed (a file name, an option's value, a prefix), which may hold a line break, a terminal's
     * escape sequence, or a character that shows as nothing (a zero-width space) or reorders
     * the line (a right-to-left override): those are written as Java escapes (a line break as
     * backslash, u, 000A; see {@link VisibleText}), and so is U+FFFD, rather than cutting the
     * message short, reaching the terminal, or hiding what was wrong. Backslashes stay as they are: the
     * message's quotations doubled theirs already, and a Windows path is not a quotation.
     */
    static String oneLine(String message) {
        return VisibleText.escapeWhere(message == null ? "" : message.strip(),
                c -> VisibleText.isHidden(c) || c == REPLACEMENT_CHARACTER);
    }

    /**
     * U+FFFD, what Java reads a byte of the command line as when the locale's character set has no
     * character for it. A message writes it as an escape: shown as itself it is a question mark in
     * the C locale, which reads as a character the user typed.
     */
    private static final int REPLACEMENT_CHARACTER = 0xFFFD;

    /** Picocli says "Unknown option"; a message after "microgpt: " reads better in lowercase. */
    private static String lowercaseFirst(String text) {
        if (text.length() >= 2 && Character.isUpperCase(text.charAt(0)) && Character.isLowerCase(text.charAt(1))) {
            return text.substring(0, 1).toLowerCase(Locale.ROOT) + text.substring(1);
        }
        return text;
    }

    /** The version for {@code --version}, from the jar's manifest. */
    public static final class Version implements CommandLine.IVersionProvider {

        /** Creates the provider; picocli calls this. */
        public Version() {
        }

        /**
         * The version lines.
         *
         * @return {@code microgpt <version>} and the Java runtime
         */
        @Override
        public String[] getVersion() {
            String version = MicrogptCommand.class.getPackage().getImplementationVersion();
            return new String[] {
                "microgpt " + (version == null ? "(development build)" : version),
                "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + ")"};
        }
    }
}
