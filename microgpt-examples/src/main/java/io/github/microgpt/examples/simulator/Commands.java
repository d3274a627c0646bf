package io.github.microgpt.examples.simulator;

import io.github.microgpt.model.Architecture;
import io.github.microgpt.model.Engine;
import io.github.microgpt.model.GptConfig;
import io.github.microgpt.sample.NonFiniteLogitsException;
import io.github.microgpt.text.Documents;
import io.github.microgpt.text.Tokenizer;
import io.github.microgpt.train.TrainingDivergedException;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * What each button of the page does: Step Fwd, Run, Stop, Reset, Gen Step, Generate, Save model
 * and Load model. Each command checks its request first, then makes its change through
 * {@link SimulatorSession#change}, which carries it out under the session's lock, on the session's
 * worker, and publishes the new state. The server calls the commands on the worker, in their turn
 * ({@link SimulatorSession#submit}); called on another thread, a command waits for its turn. A refused command (400 for a bad value, 409 for a command that does not fit the
 * moment) leaves the session as it was.
 */
final class Commands {

    private final SimulatorSession session;
    private final RunCheckpoints checkpoints;

    /**
     * Commands over a session.
     *
     * @param session the session
     */
    Commands(SimulatorSession session) {
        this.session = session;
        this.checkpoints = new RunCheckpoints(session.checkpoints());
    }

    /**
     * Step Fwd: one training step, of one position ({@code "mode": "position"}, the default) or
     * one document ({@code "document"}).
     *
     * @param request the mode, and Num steps if it is to change
     * @return the state after the step
     * @throws ApiException 400 for a bad value, 409 if a run is in progress, all steps are done or
     *     the step diverged
     */
    Snapshot step(Requests.Step request) {
        return session.change(s -> {
            applyNumSteps(s, request.numSteps());
            requireUnfinished(s);
            s.note(null);
            try {
                s.run().step(request.stepMode());
            } catch (TrainingDivergedException e) {
                s.note(diverged(e));
                throw new SimulatorSession.RefusedAfterChange(ApiException.conflict(diverged(e)));
            }
        });
    }

    /**
     * Run: trains on the session's worker thread until Num steps is reached or Stop is pressed.
     * The Run is numbered as it is asked for ({@link SimulatorSession#askRun}), then waits for its
     * turn: a Stop pressed meanwhile stops it before it begins.
     *
     * @param request the mode, and Num steps if it is to change
     * @return the state as the run starts, when its turn has come; failed with an
     *     {@link ApiException}: 400 for a bad value, 409 if a run is in progress, all steps are done
     *     or a Stop came while it waited
     */
    CompletableFuture<Snapshot> run(Requests.Step request) {
        return run(request, () -> false);
    }

    /**
     * Run, as {@link #run(Requests.Step)}, unless nobody waits for it when its turn comes: a Run
     * asked for by a page that has gone trains nothing ({@link SimulatorSession#submit(Supplier,
     * BooleanSupplier)}).
     *
     * @param request the mode, and Num steps if it is to change
     * @param abandoned asked when the Run's turn comes: true if its page has gone
     * @return the state as the run starts, when its turn has come; failed as {@link #run(Requests.Step)}
     *     is, or with {@link SimulatorSession.Abandoned} if its page had gone
     */
    CompletableFuture<Snapshot> run(Requests.Step request, BooleanSupplier abandoned) {
        long number = session.askRun();
        return session.submit(() -> session.change(s -> {
            s.requireNotStopped(number);
            applyNumSteps(s, request.numSteps());
            requireUnfinished(s);
            s.note(null);
            s.startRun(request.stepMode(), number);
        }), abandoned);
    }

    /**
     * Stop: ends a run after the step in progress. Not a change that waits for its turn: it
     * returns at once, with a future that completes when the run has ended.
     *
     * @param request no fields
     * @return the state after the run, when it has ended
     */
    CompletableFuture<Snapshot> stop(Requests.None request) {
        return session.stop();
    }

    /**
     * Reset: a new model and optimizer from the model of the progression, engine, dataset and
     * configuration given (or the current ones), with the log, the counter and the samples
     * cleared. Every value is checked before anything changes. The array engine computes only
     * the GPT: asking for it with another model is refused (400); choosing another model without
     * naming an engine takes the value engine.
     *
     * @param request the new Num steps, model, engine, configuration and dataset, each optional
     * @return the state of the new model
     * @throws ApiException 400 for a bad value, 409 if a run is in progress
     */
    Snapshot reset(Requests.Reset request) {
        return session.change(s -> {
            Settings next = settings(s.settings(), request);
            s.note(null);
            s.install(next, ModelRun.create(next, null, s.afterStepHook()));
        });
    }

    /**
     * Gen Step: draws one token of the current sample, starting a new sample when there is none.
     *
     * @param request the temperature
     * @return the state after the token
     * @throws ApiException 400 for a bad temperature, 409 if a run is in progress or the model's
     *     logits are not finite (any other failure is the simulator's own, 500)
     */
    Snapshot genStep(Requests.GenStep request) {
        return session.change(s -> {
            try {
                s.run().genStep(request.temperature());
            } catch (NonFiniteLogitsException e) {
                throw unsampleable(e);
            }
        });
    }

    /**
     * Generate: draws {@code count} (20 by default) whole samples at the given temperature. They
     * replace the samples shown.
     *
     * @param request the temperature and the count
     * @return the state with the samples
     * @throws ApiException 400 for a bad value, 409 if a run is in progress or the model's logits
     *     are not finite (any other failure is the simulator's own, 500)
     */
    Snapshot generate(Requests.Generate request) {
        int count = request.count() == null ? 20 : request.count().intValue();
        return session.change(s -> {
            try {
                s.run().generate(count, request.temperature());
            } catch (NonFiniteLogitsException e) {
                throw unsampleable(e);
            }
        });
    }

    /**
     * Save model: writes the current run as a checkpoint ({@link RunCheckpoints#save}). The
     * session does not change, except for the note on the page.
     *
     * @param request the name
     * @return the state, with a note naming the checkpoint
     * @throws ApiException 400 for a bad name; 409 if a run is in progress or a folder of that
     *     name exists that is not a checkpoint; 500 if the disk refuses the write
     */
    Snapshot save(Requests.Named request) {
        return session.change(s -> s.note(checkpoints.save(s.run(), s.settings(), request.name())));
    }

    /**
     * Load model: replaces the run with one rebuilt from a checkpoint ({@link RunCheckpoints#load}),
     * as Reset replaces it with a new one.
     *
     * @param request the name
     * @return the state of the loaded model
     * @throws ApiException 400 for a bad name or a checkpoint that cannot be loaded, 404 if there is
     *     none of that name, 409 if a run is in progress
     */
    Snapshot load(Requests.Named request) {
        return session.change(s -> {
            RunCheckpoints.Loaded loaded = checkpoints.load(request.name(), s.settings(), s.afterStepHook());
            s.note(loaded.message());
            s.install(loaded.settings(), loaded.run());
        });
    }

    /**
     * The loss curve of a saved run, for the loss chart's overlay ({@link RunCheckpoints#lossCurveJson}).
     * Reads only: the session does not change, and it may be asked during a run.
     *
     * @param name the checkpoint's name
     * @return the JSON text
     * @throws ApiException 400 for a bad name, a checkpoint with no loss curve or one whose model
     *     is larger than the simulator trains live, 404 if there is none of that name
     */
    String lossCurve(String name) {
        checkLossCurveName(name);
        return checkpoints.lossCurveJson(name);
    }

    /**
     * Checks the name of {@code /api/loss-curve} before anything is read.
     *
     * @param name the checkpoint's name, or {@code null} if the query has none
     * @throws ApiException (400) if the name is missing or not a checkpoint name
     */
    static void checkLossCurveName(String name) {
        if (name == null || name.isEmpty()) {
            throw ApiException.badRequest("the checkpoint name is missing: ask for /api/loss-curve?name=NAME");
        }
        CheckpointStore.check(name);
    }

    // ------------------------------------------------------------------------------ checks

    /**
     * A model whose logits overflow (a loaded checkpoint's finite but huge weights): the sampler's
     * refusal, answered 409 with its words rather than 500 "the simulator failed". Samples drawn
     * before it may have been shown, so the state is published too.
     */
    private static SimulatorSession.RefusedAfterChange unsampleable(NonFiniteLogitsException e) {
        return new SimulatorSession.RefusedAfterChange(ApiException.conflict(e.getMessage()
                + ". Load another model or press Reset"));
    }

    static String diverged(TrainingDivergedException e) {
        return e.getMessage() + ". The step was not applied: lower the learning rate and press Reset";
    }

    private static void requireUnfinished(SimulatorSession s) {
        if (s.run().trainer().isFinished()) {
            throw ApiException.conflict("all " + s.run().trainer().totalSteps()
                    + " steps are done: press Reset to train a new model (Num steps is applied on Reset)");
        }
    }

    /**
     * Num steps sets the learning-rate schedule of the whole run, so it can change only while no
     * step has been made: then the trainer is remade for the new length, over the same untouched
     * model and optimizer.
     */
    private static void applyNumSteps(SimulatorSession s, Long requested) {
        ModelRun run = s.run();
        if (requested == null || requested == run.trainer().totalSteps()) {
            return;
        }
        int numSteps = requested.intValue();
        if (run.trainer().stepsDone() > 0) {
            throw ApiException.badRequest("Num steps is " + run.trainer().totalSteps()
                    + " for this run: it sets the learning-rate schedule, so it can change only before the first"
                    + " step. Press Reset to start a run of " + numSteps + " steps");
        }
        s.setSettings(s.settings().withNumSteps(numSteps));
        run.setNumSteps(numSteps);
    }

    /** The settings of a Reset: the request's values over the current ones, all checked. */
    private Settings settings(Settings current, Requests.Reset request) {
        int numSteps = request.numSteps() == null ? current.numSteps() : request.numSteps().intValue();
        Architecture architecture = request.model() == null ? current.architecture()
                : Architecture.fromId(request.model());
        Engine engine;
        if (request.engine() != null) {
            engine = Engine.fromId(request.engine());
        } else {
            // Kept, unless the model changes to one the array engine does not compute.
            engine = architecture == Architecture.GPT ? current.engine() : Engine.VALUE;
        }
        Limits.Model limits = Limits.of(architecture, engine);
        GptConfig config = current.config();
        double learningRate = current.learningRate();
        long seed = current.seed();
        Requests.Config c = request.config();
        if (c != null) {
            long nLayer = c.nLayer() == null ? config.nLayer() : c.nLayer();
            long nEmbd = c.nEmbd() == null ? config.nEmbd() : c.nEmbd();
            long nHead = c.nHead() == null ? config.nHead() : c.nHead();
            long blockSize = c.blockSize() == null ? config.blockSize() : c.blockSize();
            config = limits.config(nLayer, nEmbd, nHead, blockSize, config.initStd());
            learningRate = c.learningRate() == null ? learningRate : c.learningRate();
            seed = c.seed() == null ? seed : c.seed();
        }
        List<String> documents = current.documents();
        String source = current.source();
        String name = current.name();
        Requests.Dataset d = request.dataset();
        String chosen = d == null || d.source() == null ? "current" : d.source();
        switch (chosen) {
            case "embedded" -> {
                try {
                    documents = checkDocuments(session.embeddedNames().get());
                } catch (RuntimeException e) {
                    throw new ApiException(500, "the embedded names cannot be read: " + e.getMessage());
                }
                source = "embedded";
                name = "embedded names";
            }
            case "text" -> {
                if (d.text() == null) {
                    throw ApiException.badRequest("the dataset text is missing");
                }
                name = d.name() == null || d.name().isBlank() ? "pasted text" : d.name();
                // A leading byte-order mark says how a file was encoded, as at the start of a
                // --data file (Documents.load drops it); it is not a character of the documents.
                String text = d.text().startsWith("\uFEFF") ? d.text().substring(1) : d.text();
                try {
                    documents = Documents.parse(text);
                } catch (IllegalArgumentException e) {
                    // The rule of every data file (Documents.isRefusedCharacter), with the line and
                    // column in the text.
                    String message = e.getMessage();
                    throw ApiException.badRequest(message.startsWith("the text ")
                            ? "the dataset text " + message.substring("the text ".length()) : message);
                }
                String pasted = text;
                documents = checkDocuments(documents, () -> pasted, "the dataset text");
                source = "text";
            }
            default -> {
                // the current dataset
            }
        }
        limits.check(config, Tokenizer.fromDocuments(documents).vocabSize());
        return new Settings(documents, source, name, architecture, engine, config, learningRate, seed, numSteps);
    }

    /**
     * Checks that a dataset can be trained on and shown: at least one document, none longer than
     * {@value Limits#MAX_DOCUMENT_CHARS} characters, no character that no document may hold
     * ({@link Documents#isRefusedCharacter}), a vocabulary of at most {@value Limits#MAX_VOCAB}
     * characters.
     *
     * @param documents the documents
     * @return the same documents
     * @throws ApiException (400) naming the first document that does not fit, and why
     */
    static List<String> checkDocuments(List<String> documents) {
        return checkDocuments(documents, null, null);
    }

    /**
     * {@link #checkDocuments(List)} for documents read from a text, which a document too long is
     * located in by its line: blank lines are no documents, so document {@code n} is not line
     * {@code n} in general.
     *
     * @param documents the documents, {@link Documents#parse} of the text
     * @param text the text they were read from, asked for only to locate a document too long;
     *     {@code null} (or a supplier that gives {@code null}) if there is none to name
     * @param textName what the text is called in the message ({@code "the dataset text"}, a file)
     * @return the same documents
     * @throws ApiException (400) naming the first document that does not fit, and why
     */
    static List<String> checkDocuments(List<String> documents, Supplier<String> text, String textName) {
        if (documents.isEmpty()) {
            throw ApiException.badRequest("the dataset holds no documents: every line is empty or blank");
        }
        TreeSet<Integer> characters = new TreeSet<>();
        for (int i = 0; i < documents.size(); i++) {
            String document = documents.get(i);
            int length = document.codePointCount(0, document.length());
            if (length > Limits.MAX_DOCUMENT_CHARS) {
                String source = text == null ? null : text.get();
                int line = source == null ? -1 : lineOfDocument(source, i);
                throw ApiException.badRequest(String.format(Locale.ROOT, "document %d%s is %,d characters long; the"
                        + " simulator takes documents of at most %,d characters (one name, word or short line per"
                        + " document; the model reads at most its block size of them)", i + 1,
                        line < 0 ? "" : " (line " + line + " of " + textName + ")", length, Limits.MAX_DOCUMENT_CHARS));
            }
            for (int j = 0; j < document.length(); ) {
                int codePoint = document.codePointAt(j);
                // The rule of every data file; a pasted text or a data file was checked as it was
                // read, with the line and column. This guards documents given to the server whole.
                if (Documents.isRefusedCharacter(codePoint)) {
                    throw ApiException.badRequest(String.format(Locale.ROOT,
                            "document %d holds the character U+%04X, which no document may hold (a control character"
                                    + " other than the tab, a line or paragraph separator, an unpaired surrogate or a"
                                    + " byte-order mark); use plain text, one document per line", i + 1, codePoint));
                }
                characters.add(codePoint);
                j += Character.charCount(codePoint);
            }
        }
        if (characters.size() > Limits.MAX_VOCAB) {
            throw ApiException.badRequest("the dataset has " + characters.size()
                    + " different characters; the simulator takes at most " + Limits.MAX_VOCAB);
        }
        return documents;
    }

    /**
     * The line (from 1) of a text on which its document {@code index} (from 0) stands, as
     * {@link Documents#parse} splits it: lines end at {@code \n}, {@code \r} or {@code \r\n}, a
     * leading byte-order mark is no character, and a line that is blank holds no document.
     *
     * @param text the text
     * @param index the document's index
     * @return its line, or -1 if the text has fewer documents
     */
    static int lineOfDocument(String text, int index) {
        String normalised = (text.startsWith("\uFEFF") ? text.substring(1) : text)
                .replace("\r\n", "\n").replace('\r', '\n');
        int seen = 0;
        int line = 1;
        for (int start = 0; start <= normalised.length(); line++) {
            int end = normalised.indexOf('\n', start);
            if (end < 0) {
                end = normalised.length();
            }
            // Parsed alone, a line gives one document or none: the rule of blank lines is parse's own.
            if (!Documents.parse(normalised.substring(start, end)).isEmpty() && seen++ == index) {
                return line;
            }
            start = end + 1;
        }
        return -1;
    }
}
