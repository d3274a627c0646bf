package io.github.microgpt.examples.cli;

import io.github.microgpt.model.Engine;
import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.Precision;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * One thread count of {@code microgpt bench --threads 1,2} in a JVM of its own: the child's
 * {@link #main} builds the model and trainer of that count and runs what the parent bench asks for
 * on its standard input, one request a line, answering each on its standard output; the parent's
 * {@link Remote} is that child seen as a {@link BenchCommand.CountRun}, so the parent alternates
 * the children's slices exactly as it would alternate models of its own. While one child runs a
 * slice the others wait on a read, as idle as a JVM that was never started.
 *
 * <p>Why a JVM per count (see {@link BenchCommand}): models of several counts in one JVM share the
 * JIT compiler's profiles and code, which a user's run of one count never does, and such a list
 * read a higher speed-up than separate runs of each count gave.
 *
 * <p>The conversation, one line each way (a request, then its answer, which starts with
 * {@link #ANSWER} so that whatever else the JVM writes to its standard output, a log the user asked
 * for with {@code -Xlog}, is told apart and passed on to the parent's standard error):
 * <ul>
 * <li>at the start, unasked: {@code ready}, once the model is built;
 * <li>{@code warm STEPS listening|plain}, {@code run STEPS}: {@code done LOSS_BITS STEPS_DONE COMPILER_MILLIS};
 * <li>{@code phases STEPS}: {@code phases GRADIENT_NANOS OPTIMIZER_NANOS LOSS_BITS STEPS_DONE COMPILER_MILLIS};
 * <li>{@code weights}: {@code weights SHA256_HEX};
 * <li>{@code generate NANOS}: {@code tokens TOKENS NANOS};
 * <li>{@code quit}: nothing; the child ends with exit code 0;
 * <li>a failure, at any time: {@code error MESSAGE} (one line), and the child ends with exit code 1.
 * </ul>
 */
final class BenchChild {

    /** The start of every line of the conversation the child writes. */
    static final String ANSWER = "microgpt-bench-child ";

    /** How long the parent waits for a child to end after {@code quit} before it ends it itself. */
    private static final long QUIT_SECONDS = 10;

    private BenchChild() {
    }

    /**
     * The command line that starts the child measuring {@code contender} on {@code workload}: this
     * JVM's {@code java}, its options (heap, collector, {@code --add-modules jdk.incubator.vector},
     * {@code JAVA_OPTS}: what a separate run of the same command would have had) and its class
     * path, then this class and the contender.
     *
     * @param contender the engine, precision and threads to measure
     * @param workload the model size and documents
     * @return the command line
     */
    static List<String> command(BenchCommand.Contender contender, BenchCommand.Workload workload) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(BenchChild.class.getName());
        command.addAll(arguments(contender, workload));
        return command;
    }

    /**
     * The child's arguments: {@code ENGINE PRECISION THREADS}, then {@code reference} or the
     * model's size ({@code N_LAYER N_EMBD N_HEAD BLOCK_SIZE}, random letters).
     */
    static List<String> arguments(BenchCommand.Contender contender, BenchCommand.Workload workload) {
        List<String> arguments = new ArrayList<>(List.of(contender.engine().id(), contender.precision().id(),
                Integer.toString(contender.threads())));
        GptConfig config = workload.config();
        if (workload.reference()) {
            arguments.add("reference");
        } else {
            arguments.addAll(List.of(Integer.toString(config.nLayer()), Integer.toString(config.nEmbd()),
                    Integer.toString(config.nHead()), Integer.toString(config.blockSize())));
        }
        return arguments;
    }

    /**
     * The child: builds the model the arguments ({@link #arguments}) describe and answers the
     * parent's requests until {@code quit} or the end of its standard input.
     *
     * @param args the contender and the workload, as {@link #arguments} writes them
     */
    public static void main(String[] args) {
        PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
        int exitCode = 0;
        try {
            BenchCommand.Runner runner = new BenchCommand.Runner(contender(args), workload(args), System::nanoTime);
            answer(out, "ready");
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            String line;
            while ((line = in.readLine()) != null && !line.equals("quit")) {
                answer(out, serve(runner, line.split(" ", -1)));
            }
        } catch (OutOfMemoryError e) {
            answer(out, "error out of memory while measuring (give the JVM more, for example JAVA_OPTS=-Xmx4g)");
            exitCode = CommandFailedException.FAILED;
        } catch (IOException | RuntimeException e) {
            String message = e.getMessage() == null ? e.getClass().getName() : e.getMessage();
            answer(out, "error " + message.replace('\n', ' ').replace('\r', ' '));
            exitCode = CommandFailedException.FAILED;
        }
        System.exit(exitCode);
    }

    private static BenchCommand.Contender contender(String[] args) {
        return new BenchCommand.Contender(Engine.fromId(args[0]), Precision.fromId(args[1]),
                Integer.parseInt(args[2]));
    }

    private static BenchCommand.Workload workload(String[] args) {
        if (args[3].equals("reference")) {
            return BenchCommand.Workload.referenceRun();
        }
        GptConfig config = new GptConfig(Integer.parseInt(args[3]), Integer.parseInt(args[4]),
                Integer.parseInt(args[5]), Integer.parseInt(args[6]), GptConfig.defaults().initStd());
        return BenchCommand.Workload.randomLetters(config);
    }

    /** One request's answer, without {@link #ANSWER}. */
    private static String serve(BenchCommand.Runner runner, String[] request) {
        switch (request[0]) {
            case "warm" -> runner.warm(Long.parseLong(request[1]), request[2].equals("listening"));
            case "run" -> runner.run(Long.parseLong(request[1]));
            case "phases" -> {
                long[] split = runner.phases(Long.parseLong(request[1]));
                return "phases " + split[0] + " " + split[1] + " " + state(runner);
            }
            case "weights" -> {
                return "weights " + runner.weightsDigest();
            }
            case "generate" -> {
                long[] generated = runner.generate(Long.parseLong(request[1]));
                return "tokens " + generated[0] + " " + generated[1];
            }
            default -> throw new IllegalArgumentException("unknown request: " + String.join(" ", request));
        }
        return "done " + state(runner);
    }

    private static String state(BenchCommand.Runner runner) {
        return runner.lastLossBits() + " " + runner.stepsDone() + " " + BenchCommand.compilerMillis();
    }

    private static void answer(PrintStream out, String answer) {
        out.print(ANSWER + answer + "\n");
        out.flush();
    }

    /**
     * A child seen from the parent: each call sends a request and waits for its answer. A child
     * that fails (an error it reports, or a JVM that ends or writes something unexpected) ends the
     * bench with one line naming the count and the cause, as a {@link CommandFailedException}.
     */
    static final class Remote implements BenchCommand.CountRun, AutoCloseable {
        private final String name;
        private final Process process;
        private final File errors;
        private final BufferedWriter requests;
        private final BufferedReader answers;
        private final PrintStream passOn;
        private long lastLossBits;
        private int stepsDone;
        private long compilerMillis;

        private Remote(String name, Process process, File errors, PrintStream passOn) {
            this.name = name;
            this.process = process;
            this.errors = errors;
            this.passOn = passOn;
            this.requests = new BufferedWriter(new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8));
            this.answers = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        }

        /**
         * Starts a child; {@link #awaitReady} waits until its model is built, so that several
         * children build theirs at once.
         *
         * @param contender what it measures, which names it in a failure
         * @param command its command line ({@link BenchChild#command})
         * @param passOn where lines it writes outside the conversation go (the parent's stderr)
         * @return the child
         * @throws CommandFailedException if the JVM cannot be started
         */
        static Remote start(BenchCommand.Contender contender, List<String> command, PrintStream passOn) {
            String name = contender.name() + " on " + contender.threads()
                    + (contender.threads() == 1 ? " thread" : " threads");
            File errors = null;
            try {
                // Its stderr goes to a file, read only if it fails: a pipe nobody reads could fill and stop it.
                errors = File.createTempFile("microgpt-bench-", ".err");
                errors.deleteOnExit();
                Process process = new ProcessBuilder(command).redirectError(errors).start();
                return new Remote(name, process, errors, passOn);
            } catch (IOException e) {
                if (errors != null) {
                    errors.delete();
                }
                throw new CommandFailedException("could not start the JVM measuring " + name + ": " + e.getMessage(),
                        CommandFailedException.FAILED, e);
            }
        }

        /** Waits for the child's model to be built. */
        void awaitReady() {
            expect(ask(null), "ready", 1);
        }

        /** The child's JIT compiler's working time when it last answered, in milliseconds. */
        long compilerMillis() {
            return compilerMillis;
        }

        @Override
        public void warm(long steps, boolean listening) {
            state(expect(ask("warm " + steps + (listening ? " listening" : " plain")), "done", 4), 1);
        }

        @Override
        public void run(long steps) {
            state(expect(ask("run " + steps), "done", 4), 1);
        }

        @Override
        public long[] phases(long steps) {
            String[] answer = expect(ask("phases " + steps), "phases", 6);
            state(answer, 3);
            return new long[] {number(answer[1]), number(answer[2])};
        }

        @Override
        public long lastLossBits() {
            return lastLossBits;
        }

        @Override
        public int stepsDone() {
            return stepsDone;
        }

        @Override
        public String weightsDigest() {
            return expect(ask("weights"), "weights", 2)[1];
        }

        @Override
        public long[] generate(long nanos) {
            String[] answer = expect(ask("generate " + nanos), "tokens", 3);
            return new long[] {number(answer[1]), number(answer[2])};
        }

        /** Asks the child to end, and waits for it (a while), so that its measurement is over. */
        void finish() {
            try {
                requests.write("quit\n");
                requests.flush();
                if (process.waitFor(QUIT_SECONDS, TimeUnit.SECONDS) && process.exitValue() != 0) {
                    throw failed("it ended with exit code " + process.exitValue() + errorLine());
                }
            } catch (IOException e) {
                throw failed("it could not be told to end: " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw failed("interrupted while it ended");
            }
        }

        /** Ends the child if it is still running (after a failure), and deletes its stderr's file. */
        @Override
        public void close() {
            process.destroyForcibly();
            try {
                process.waitFor(QUIT_SECONDS, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            errors.delete();
        }

        private void state(String[] answer, int from) {
            lastLossBits = number(answer[from]);
            stepsDone = (int) number(answer[from + 1]);
            compilerMillis = number(answer[from + 2]);
        }

        /** Sends a request (none for the first answer) and returns the answer, without {@link #ANSWER}, split into words. */
        private String[] ask(String request) {
            try {
                if (request != null) {
                    requests.write(request + "\n");
                    requests.flush();
                }
                String line;
                while ((line = answers.readLine()) != null) {
                    if (line.startsWith(ANSWER)) {
                        return line.substring(ANSWER.length()).split(" ", -1);
                    }
                    // The JVM's own output (a log the user asked for): passed on, as a separate run would show it.
                    passOn.println(line);
                }
            } catch (IOException e) {
                // A child that died closes its pipes: the exit code and its stderr say more.
            }
            throw failed("it ended" + exitCode() + errorLine());
        }

        private String[] expect(String[] answer, String word, int words) {
            if (answer[0].equals("error")) {
                throw failed(String.join(" ", answer).substring("error ".length()));
            }
            if (!answer[0].equals(word) || answer.length != words) {
                throw failed("it answered \"" + String.join(" ", answer) + "\" where \"" + word + "\" was expected");
            }
            return answer;
        }

        private long number(String word) {
            try {
                return Long.parseLong(word);
            } catch (NumberFormatException e) {
                throw failed("it answered \"" + word + "\" where a number was expected");
            }
        }

        private String exitCode() {
            try {
                if (process.waitFor(QUIT_SECONDS, TimeUnit.SECONDS)) {
                    return " with exit code " + process.exitValue();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return "";
        }

        /** The first line the child wrote to stderr that says something (not the incubator modules' warning), after ": ". */
        private String errorLine() {
            try {
                for (String line : Files.readAllLines(errors.toPath(), StandardCharsets.UTF_8)) {
                    if (!line.isBlank() && !line.contains("Using incubator modules")) {
                        return ": " + line.strip();
                    }
                }
            } catch (IOException | RuntimeException e) {
                // Unreadable (or not text): the exit code alone is said.
            }
            return "";
        }

        private CommandFailedException failed(String cause) {
            return new CommandFailedException(String.format(Locale.ROOT, "the JVM measuring %s failed: %s", name, cause),
                    CommandFailedException.FAILED, null);
        }
    }
}
