package io.github.microgpt.examples.cli;

import io.github.microgpt.model.Engine;
import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.Precision;
import io.github.microgpt.text.VisibleText;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.io.Reader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
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
 * <li>at the start, unasked: {@code ready PLACE}, once the model is built, where {@code PLACE} is
 *     where its steps run Adam's update ({@link MemoryBandwidth.UpdatePlace}'s name, as
 *     {@link BenchCommand.CountRun#updatePlace} asks its model and optimizer);
 * <li>{@code warm STEPS listening|plain}, {@code run STEPS}: {@code done STATE};
 * <li>{@code phases STEPS}: {@code phases GRADIENT_NANOS OPTIMIZER_NANOS STATE};
 * <li>where {@code STATE} is {@code LOSS_BITS STEPS_DONE COMPILER_MILLIS FIRST_LOSS_BITS DIVERGENCES
 *     REBUILD_NANOS ALLOCATED_BYTES}: the last and the request's first step's loss, the trainer's
 *     steps, the JIT's time, the divergences so far with the time spent rebuilding the model after
 *     them, on the child's clock, and the heap bytes the steps' threads allocated in all
 *     {@code run} requests so far, as the child counts them (-1 if it cannot:
 *     {@link StepAllocation}) ({@link BenchCommand.CountRun});
 * <li>{@code weights}: {@code weights SHA256_HEX};
 * <li>{@code generate NANOS}: {@code tokens TOKENS NANOS};
 * <li>{@code quit}: nothing; the child ends with exit code 0;
 * <li>a failure, at any time: {@code error MESSAGE} (one line), and the child ends with exit code 1.
 * </ul>
 *
 * <p><b>A child that does not answer</b> must not hang the bench: the parent waits for each answer
 * at most the time {@link Patience} allows for the work it asked (a minute, plus ten times that
 * work's expected time), then ends the child and everything it started, and the bench fails with
 * one line naming the count. An answer line longer than {@link #MAX_LINE_CHARS} characters fails
 * it too (no answer is near that long, and an endless line must not fill the heap), and of the
 * child's standard error only the last {@link #ERRORS_TAIL_BYTES} bytes are read.
 *
 * <p><b>The JVM's options</b> are copied to the children, except those that name something only
 * one JVM can have ({@link JvmOptions}): a debugger's agent (its port), JMX's remote port, and a
 * log or flight recording written to one named file. Those are left out, with a note on stderr.
 */
final class BenchChild {

    /** The start of every line of the conversation the child writes. */
    static final String ANSWER = "microgpt-bench-child ";

    /** How long the parent waits for a child to end after {@code quit} before it ends it itself. */
    private static final long QUIT_SECONDS = 10;

    /**
     * The longest line the parent takes from a child, in characters: the longest answer is an
     * error message of a line; anything longer is a child gone wrong (an answer that long fails
     * the bench; another line, the JVM's own output, is passed on cut to this length).
     */
    static final int MAX_LINE_CHARS = 16 * 1024;

    /** The bytes at the end of a failed child's stderr that are read for the line that says why. */
    static final int ERRORS_TAIL_BYTES = 16 * 1024;

    /** The longest line of the child's stderr quoted in the one line of a failure. */
    private static final int MAX_QUOTED_CHARS = 400;

    private BenchChild() {
    }

    /**
     * What starts a child: {@link BenchChild#command}, or a test's own command line.
     */
    @FunctionalInterface
    interface Launch {
        /**
         * The command line that starts the JVM measuring {@code contender}.
         *
         * @param contender the engine, precision and threads to measure
         * @param workload the model size and documents
         * @param jvmOptions the JVM options the child gets ({@link JvmOptions#passed})
         * @return the command line
         */
        List<String> command(BenchCommand.Contender contender, BenchCommand.Workload workload, List<String> jvmOptions);
    }

    /**
     * This JVM's options, as the children get them: every option but those that name something
     * one JVM alone can hold, so that a child started with them would fail at its start, wait for
     * a debugger forever, or overwrite another JVM's file. Those are:
     * <ul>
     * <li>a debugger's agent ({@code -agentlib:jdwp=...}, {@code -Xrunjdwp:...}): its address
     *     (such as port 5005) can be listened on by one JVM only, and with {@code suspend=y} a
     *     child would wait for a debugger before it answered. A debugger stays on this JVM; to
     *     debug the measured model, bench one count alone ({@code --threads 2}), which runs here;
     * <li>JMX's remote port ({@code -Dcom.sun.management.jmxremote.port=...}, {@code .rmi.port}):
     *     one JVM can listen on it;
     * <li>a log written to a file ({@code -Xlog:...:file=NAME}, {@code -Xloggc:NAME}) whose name
     *     has no {@code %p}: several JVMs would write, and rotate, one file. With {@code %p} in the
     *     name each JVM writes its own (the JVM puts its process id there), and it is passed on;
     * <li>a flight recording written to a named file ({@code -XX:StartFlightRecording=...filename=...}):
     *     every JVM would write that one file at its end (Java 17 puts no process id in the name).
     * </ul>
     * Other options are passed on as they are: a {@code -javaagent} or {@code -agentpath} of the
     * user's own may hold something too, which this cannot know.
     *
     * @param passed the options the children get, in their order
     * @param notes one line for stderr for each option left out, saying why
     */
    record JvmOptions(List<String> passed, List<String> notes) {

        /** This JVM's options ({@code JAVA_OPTS}, the launcher's, the user's {@code java} options). */
        static List<String> ofThisJvm() {
            return ManagementFactory.getRuntimeMXBean().getInputArguments();
        }

        /**
         * Sorts {@code options} into those the children get and those left out.
         *
         * @param options a JVM's options, as {@link #ofThisJvm} lists them
         * @return the children's options and a note for each left out
         */
        static JvmOptions forChildren(List<String> options) {
            List<String> passed = new ArrayList<>();
            List<String> notes = new ArrayList<>();
            for (String option : options) {
                String why = whyLeftOut(option);
                if (why == null) {
                    passed.add(option);
                } else {
                    notes.add("microgpt: note: the JVMs measuring each thread count start without "
                            + VisibleText.escape(option) + ": " + why);
                }
            }
            return new JvmOptions(List.copyOf(passed), List.copyOf(notes));
        }

        /** Why {@code option} is left out of the children, or null if it is passed on. */
        private static String whyLeftOut(String option) {
            if (option.startsWith("-agentlib:jdwp") || option.startsWith("-Xrunjdwp")
                    || option.startsWith("-agentpath:") && option.contains("jdwp")) {
                return "a debugger's agent in each would listen on one address; to debug the model, bench one "
                        + "thread count alone";
            }
            if (option.startsWith("-Dcom.sun.management.jmxremote.port=")
                    || option.startsWith("-Dcom.sun.management.jmxremote.rmi.port=")) {
                return "one JVM alone can listen on that port";
            }
            if ((option.startsWith("-Xlog:") && option.contains("file=") || option.startsWith("-Xloggc:"))
                    && !option.contains("%p")) {
                return "several JVMs would write that one file; put %p in its name for a file per JVM";
            }
            if (option.startsWith("-XX:StartFlightRecording") && option.contains("filename=")) {
                return "every JVM would write that one file; to record the model, bench one thread count alone";
            }
            return null;
        }
    }

    /**
     * The command line that starts the child measuring {@code contender} on {@code workload}: this
     * JVM's {@code java}, the options given (this JVM's, as {@link JvmOptions#forChildren} passes
     * them on: heap, collector, {@code --add-modules jdk.incubator.vector}, {@code JAVA_OPTS}: what
     * a separate run of the same command would have had) and its class path, then this class and
     * the contender.
     *
     * @param contender the engine, precision and threads to measure
     * @param workload the model size and documents
     * @param jvmOptions the child's JVM options
     * @return the command line
     */
    static List<String> command(BenchCommand.Contender contender, BenchCommand.Workload workload,
            List<String> jvmOptions) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(BenchChild.class.getName());
        command.addAll(arguments(contender, workload));
        return command;
    }

    /**
     * The child's arguments: {@code ENGINE PRECISION THREADS}, then {@code reference RATE} (the
     * names at the reference size) or the model's size ({@code N_LAYER N_EMBD N_HEAD BLOCK_SIZE
     * RATE}, random letters), {@code RATE} being Adam's learning rate as {@link Double#toString}
     * writes it, which reads back as the same double.
     */
    static List<String> arguments(BenchCommand.Contender contender, BenchCommand.Workload workload) {
        List<String> arguments = new ArrayList<>(List.of(contender.engine().id(), contender.precision().id(),
                Integer.toString(contender.threads())));
        GptConfig config = workload.config();
        if (workload.reference()) {
            arguments.addAll(List.of("reference", Double.toString(workload.learningRate())));
        } else {
            arguments.addAll(List.of(Integer.toString(config.nLayer()), Integer.toString(config.nEmbd()),
                    Integer.toString(config.nHead()), Integer.toString(config.blockSize()),
                    Double.toString(workload.learningRate())));
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
            // Where its steps run Adam's update, as its model and optimizer say (CountRun.updatePlace).
            answer(out, "ready " + runner.updatePlace().name());
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
            return BenchCommand.Workload.referenceRun(Double.parseDouble(args[4]));
        }
        GptConfig config = new GptConfig(Integer.parseInt(args[3]), Integer.parseInt(args[4]),
                Integer.parseInt(args[5]), Integer.parseInt(args[6]), GptConfig.defaults().initStd());
        return BenchCommand.Workload.randomLetters(config, Double.parseDouble(args[7]));
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
        BenchCommand.CountState state = runner.state();
        return state.lastLossBits() + " " + state.stepsDone() + " " + BenchCommand.compilerMillis() + " "
                + state.firstLossBits() + " " + state.divergences() + " " + state.rebuildNanos() + " "
                + state.allocatedBytes();
    }

    private static void answer(PrintStream out, String answer) {
        out.print(ANSWER + answer + "\n");
        out.flush();
    }

    /**
     * How long the parent waits for a child's answer before it ends the child: generous, since a
     * busy machine, a collector's pause or a step still in the interpreter can make an answer late,
     * and a bench that gives up on a working child is worse than one that waits; but finite, so
     * that a child that hangs (waits for a debugger, a lock, a full disk) ends the bench. The
     * limit of an answer is a fixed time plus {@code slack} times the time expected for the work
     * asked:
     * <ul>
     * <li>{@code ready}: {@code startNanos} (a JVM's start) plus the model's build, at
     *     {@link #BUILD_NANOS_PER_PARAMETER} a parameter (10 million a second), counted from the
     *     JVM's start;
     * <li>the others: {@code floorNanos} (a busy machine, a collector's pause) plus
     * <ul>
     * <li>{@code warm}, {@code run}, {@code phases}: their steps, at the time a step took this
     *     child in its last answer of steps, or before any, the step's operations at
     *     {@link #FIRST_STEP_FLOPS_PER_SECOND} (a step in the interpreter);
     * <li>{@code generate NANOS}: the nanoseconds asked and one step;
     * <li>{@code weights}: the weights' digest, at a parameter's build time.
     * </ul></ul>
     * So with the usual limits ({@link #USUAL}) a quarter-second slice may take a minute and a few
     * seconds, and a model of 100 million parameters a minute plus 17 minutes to be built.
     *
     * @param startNanos the least wait for {@code ready}, from the JVM's start
     * @param floorNanos the least wait for any other answer
     * @param slack how many times the work's expected time is added
     */
    record Patience(long startNanos, long floorNanos, long slack) {

        /** A minute, plus ten times the work. */
        static final Patience USUAL = new Patience(TimeUnit.SECONDS.toNanos(60), TimeUnit.SECONDS.toNanos(60), 10);

        /** Nanoseconds a parameter to build a model (Gaussian weights) or to digest its weights. */
        static final long BUILD_NANOS_PER_PARAMETER = 100;

        /** The slow speed a first step (in the interpreter) is given before any step was timed. */
        static final double FIRST_STEP_FLOPS_PER_SECOND = 1e9;

        /**
         * The time limit for work expected to take {@code expectedNanos}.
         *
         * @param fixedNanos {@link #startNanos} or {@link #floorNanos}
         * @param expectedNanos the work's expected time
         * @return {@code fixedNanos + slack * expectedNanos}, saturated at {@link Long#MAX_VALUE}
         */
        long limitNanos(long fixedNanos, double expectedNanos) {
            double limit = fixedNanos + (double) slack * Math.max(0, expectedNanos);
            return limit >= Long.MAX_VALUE ? Long.MAX_VALUE : (long) limit;
        }

        /** How the limit is made, for a message. */
        String rule(long fixedNanos) {
            return String.format(Locale.ROOT, "%s plus %d times the work's expected time", seconds(fixedNanos), slack);
        }
    }

    /** Nanoseconds as a person reads them: {@code "1.5 s"}. */
    private static String seconds(long nanos) {
        return String.format(Locale.ROOT, "%.1f s", nanos / 1e9);
    }

    /**
     * What the reading thread heard from the child: an answer (without {@link #ANSWER}), or the
     * end of its output, or an answer line too long to be one.
     */
    private record Heard(String answer, String problem) {
        static final Heard END = new Heard(null, null);
    }

    /**
     * A child seen from the parent: each call sends a request and waits for its answer, at most as
     * long as its {@link Patience} allows. A child that fails (an error it reports, a JVM that ends,
     * writes something unexpected or does not answer in time) ends the bench with one line naming
     * the count and the cause, as a {@link CommandFailedException}; a child that did not answer is
     * ended first, with every process it started.
     *
     * <p>A thread of its own reads the child's standard output, since a read of a pipe cannot be
     * given a time limit: it passes the JVM's own lines on and hands the answers over, so that the
     * caller waits on the hand-over with a limit.
     */
    static final class Remote implements BenchCommand.CountRun, AutoCloseable {
        private final String name;
        private final Process process;
        private final long startNanos;
        private final File errors;
        private final BufferedWriter requests;
        private final BlockingQueue<Heard> heard = new ArrayBlockingQueue<>(4);
        private final Thread reader;
        private final PrintStream passOn;
        private final Patience patience;
        private final long buildNanos;
        /** The time a step took in the last answer of steps; before any, a guess from the step's operations. */
        private double stepNanos;
        /** The figures of the child's last answer (allocated bytes -1 until it says whether it counts them). */
        private BenchCommand.CountState state = new BenchCommand.CountState(0, 0, 0, 0, 0, -1);
        private long compilerMillis;
        /** Where the child's steps run Adam's update, from its answer {@code ready}. */
        private MemoryBandwidth.UpdatePlace updatePlace;

        private Remote(String name, Process process, long startNanos, File errors, PrintStream passOn,
                Patience patience, long parameters, long stepFlops) {
            this.name = name;
            this.process = process;
            this.startNanos = startNanos;
            this.errors = errors;
            this.passOn = passOn;
            this.patience = patience;
            this.buildNanos = parameters * Patience.BUILD_NANOS_PER_PARAMETER;
            this.stepNanos = stepFlops / Patience.FIRST_STEP_FLOPS_PER_SECOND * 1e9;
            this.requests = new BufferedWriter(new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8));
            this.reader = new Thread(this::read, "microgpt-bench-child-output");
            reader.setDaemon(true);
            reader.start();
        }

        /**
         * Starts a child; {@link #awaitReady} waits until its model is built, so that several
         * children build theirs at once.
         *
         * @param contender what it measures, which names it in a failure
         * @param workload what it measures on, which sizes its time limits
         * @param command its command line ({@link BenchChild#command})
         * @param passOn where lines it writes outside the conversation go (the parent's stderr)
         * @param patience how long it may take to answer
         * @return the child
         * @throws CommandFailedException if the JVM cannot be started
         */
        static Remote start(BenchCommand.Contender contender, BenchCommand.Workload workload, List<String> command,
                PrintStream passOn, Patience patience) {
            String name = contender.name() + " on " + BenchCommand.threadCount(contender.threads());
            long stepFlops = 0;
            for (long flops : workload.flopsPerDocument()) {
                stepFlops = Math.max(stepFlops, flops);
            }
            File errors = null;
            try {
                // Its stderr goes to a file, read only if it fails: a pipe nobody reads could fill and stop it.
                errors = File.createTempFile("microgpt-bench-", ".err");
                errors.deleteOnExit();
                long startNanos = System.nanoTime();
                Process process = new ProcessBuilder(command).redirectError(errors).start();
                return new Remote(name, process, startNanos, errors, passOn, patience, workload.parameters(),
                        stepFlops);
            } catch (IOException e) {
                if (errors != null) {
                    errors.delete();
                }
                throw new CommandFailedException("could not start the JVM measuring " + name + ": " + e.getMessage(),
                        CommandFailedException.FAILED, e);
            }
        }

        /** Waits for the child's model to be built; its answer says where its steps run Adam's update. */
        void awaitReady() {
            // Counted from the JVM's start: the children start together and are awaited one by one.
            long limit = patience.limitNanos(patience.startNanos(), buildNanos);
            String[] ready = expect(ask(null, Math.max(0, limit - (System.nanoTime() - startNanos)), null, limit),
                    "ready", 2);
            try {
                updatePlace = MemoryBandwidth.UpdatePlace.valueOf(ready[1]);
            } catch (IllegalArgumentException e) {
                throw failed("it answered \"" + VisibleText.escape(String.join(" ", ready))
                        + "\" where a place of Adam's update was expected");
            }
        }

        @Override
        public MemoryBandwidth.UpdatePlace updatePlace() {
            return updatePlace;
        }

        /** The child's process id, whose JIT compiler threads the timed rounds watch ({@link CompilerThreads}). */
        long pid() {
            return process.pid();
        }

        /** The child's JIT compiler's working time when it last answered, in milliseconds. */
        long compilerMillis() {
            return compilerMillis;
        }

        @Override
        public void warm(long steps, boolean listening) {
            state(expect(askSteps("warm " + steps + (listening ? " listening" : " plain"), steps), "done", 8), 1);
        }

        @Override
        public void run(long steps) {
            state(expect(askSteps("run " + steps, steps), "done", 8), 1);
        }

        @Override
        public long[] phases(long steps) {
            String[] answer = expect(askSteps("phases " + steps, steps), "phases", 10);
            state(answer, 3);
            return new long[] {number(answer[1]), number(answer[2])};
        }

        @Override
        public BenchCommand.CountState state() {
            return state;
        }

        @Override
        public String weightsDigest() {
            return expect(ask("weights", limit(buildNanos)), "weights", 2)[1];
        }

        @Override
        public long[] generate(long nanos) {
            String[] answer = expect(ask("generate " + nanos, limit(nanos + stepNanos)), "tokens", 3);
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
            end();
            reader.interrupt();
            errors.delete();
        }

        /**
         * Ends the child and every process it started, and waits (a while) until they have ended.
         * The descendants are listed first: once the child is gone, they are no longer its.
         */
        private void end() {
            List<ProcessHandle> descendants = process.descendants().toList();
            process.destroyForcibly();
            descendants.forEach(ProcessHandle::destroyForcibly);
            try {
                process.waitFor(QUIT_SECONDS, TimeUnit.SECONDS);
                for (ProcessHandle descendant : descendants) {
                    descendant.onExit().get(QUIT_SECONDS, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                // Told to end forcibly; a process that outlives that is the system's to end.
            }
        }

        private void state(String[] answer, int from) {
            compilerMillis = number(answer[from + 2]);
            state = new BenchCommand.CountState(number(answer[from]), (int) number(answer[from + 1]),
                    number(answer[from + 3]), (int) number(answer[from + 4]), number(answer[from + 5]),
                    number(answer[from + 6]));
        }

        /** {@link #ask} for {@code steps} training steps, which then times the child's step. */
        private String[] askSteps(String request, long steps) {
            long start = System.nanoTime();
            String[] answer = ask(request, limit(steps * stepNanos));
            stepNanos = (double) (System.nanoTime() - start) / steps;
            return answer;
        }

        /** The limit of an answer other than {@code ready}, for work expected to take {@code expectedNanos}. */
        private long limit(double expectedNanos) {
            return patience.limitNanos(patience.floorNanos(), expectedNanos);
        }

        private String[] ask(String request, long limitNanos) {
            return ask(request, limitNanos, request, limitNanos);
        }

        /**
         * Sends a request (none for the first answer) and returns the answer, without
         * {@link #ANSWER}, split into words; waits at most {@code waitNanos}, then ends the child.
         *
         * @param what the request as a message names it, null for {@code ready}
         * @param limitNanos the limit as a message names it (ready's counts from the JVM's start)
         */
        private String[] ask(String request, long waitNanos, String what, long limitNanos) {
            try {
                if (request != null) {
                    requests.write(request + "\n");
                    requests.flush();
                }
            } catch (IOException e) {
                // A child that died closes its pipes: its output's end, its exit code and its stderr say more.
            }
            Heard answer;
            try {
                answer = heard.poll(waitNanos, TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                end();
                throw failed("interrupted while waiting for its answer");
            }
            if (answer == null) {
                end();
                String late = what == null ? "its model was not ready within " + seconds(limitNanos) + " of its start"
                        : "it did not answer \"" + what + "\" within " + seconds(limitNanos);
                throw failed(late + " (" + patience.rule(what == null ? patience.startNanos() : patience.floorNanos())
                        + "), so it was ended");
            }
            if (answer.problem() != null) {
                end();
                throw failed(answer.problem());
            }
            if (answer == Heard.END) {
                throw failed("it ended" + exitCode() + errorLine());
            }
            return answer.answer().split(" ", -1);
        }

        /**
         * The reading thread: reads the child's output line by line, each cut at
         * {@link #MAX_LINE_CHARS}; passes the JVM's own lines on (a log the user asked for, as a
         * separate run would show it) and hands the answers over, until the output ends.
         */
        private void read() {
            try (Reader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                StringBuilder line = new StringBuilder();
                boolean cut = false;
                int c;
                while ((c = in.read()) != -1) {
                    if (c == '\n') {
                        if (!cut) {
                            hear(line);
                        }
                        line.setLength(0);
                        cut = false;
                    } else if (!cut) {
                        line.append((char) c);
                        if (line.length() > MAX_LINE_CHARS) {
                            // Said at once: a line that never ends must not wait for its end.
                            cut = true;
                            if (line.indexOf(ANSWER) == 0) {
                                heard.put(new Heard(null, "it answered a line longer than " + MAX_LINE_CHARS
                                        + " characters"));
                            } else {
                                passOn.println(line.substring(0, MAX_LINE_CHARS) + " [cut at " + MAX_LINE_CHARS
                                        + " characters]");
                            }
                        }
                    }
                }
                if (line.length() > 0 && !cut) {
                    hear(line);
                }
                heard.put(Heard.END);
            } catch (IOException e) {
                // The pipe broke (the child was ended): the end of its output.
                heard.offer(Heard.END);
            } catch (InterruptedException e) {
                // The parent is done with this child.
            }
        }

        private void hear(StringBuilder line) throws InterruptedException {
            int end = line.length() > 0 && line.charAt(line.length() - 1) == '\r' ? line.length() - 1 : line.length();
            String text = line.substring(0, end);
            if (text.startsWith(ANSWER)) {
                heard.put(new Heard(text.substring(ANSWER.length()), null));
            } else {
                passOn.println(text);
            }
        }

        private String[] expect(String[] answer, String word, int words) {
            if (answer[0].equals("error")) {
                throw failed(String.join(" ", answer).substring("error ".length()));
            }
            if (!answer[0].equals(word) || answer.length != words) {
                throw failed("it answered \"" + VisibleText.escape(String.join(" ", answer)) + "\" where \"" + word
                        + "\" was expected");
            }
            return answer;
        }

        private long number(String word) {
            try {
                return Long.parseLong(word);
            } catch (NumberFormatException e) {
                throw failed("it answered \"" + VisibleText.escape(word) + "\" where a number was expected");
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

        /**
         * The first line that says something (not the incubator modules' warning) in the last
         * {@link #ERRORS_TAIL_BYTES} of what the child wrote to stderr, after ": ": a child that
         * wrote gigabytes there is not read whole.
         */
        private String errorLine() {
            try (RandomAccessFile file = new RandomAccessFile(errors, "r")) {
                long length = file.length();
                long from = Math.max(0, length - ERRORS_TAIL_BYTES);
                byte[] tail = new byte[(int) (length - from)];
                file.seek(from);
                file.readFully(tail);
                String[] lines = new String(tail, StandardCharsets.UTF_8).split("\\r?\\n", -1);
                // Cut in the middle of a line, the first is a part of one.
                for (int i = from > 0 ? 1 : 0; i < lines.length; i++) {
                    String line = lines[i];
                    if (!line.isBlank() && !line.contains("Using incubator modules")) {
                        String quoted = VisibleText.escape(line.strip());
                        return ": " + (quoted.length() > MAX_QUOTED_CHARS
                                ? quoted.substring(0, MAX_QUOTED_CHARS) + "..." : quoted);
                    }
                }
            } catch (IOException | RuntimeException e) {
                // Unreadable: the exit code alone is said.
            }
            return "";
        }

        private CommandFailedException failed(String cause) {
            return new CommandFailedException(String.format(Locale.ROOT, "the JVM measuring %s failed: %s", name, cause),
                    CommandFailedException.FAILED, null);
        }
    }
}
