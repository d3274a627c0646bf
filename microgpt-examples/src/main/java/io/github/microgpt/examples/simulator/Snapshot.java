package io.github.microgpt.examples.simulator;

import com.google.gson.stream.JsonWriter;
import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.MatrixLayout;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * The state of the session at one moment, immutable, so that any number of readers (HTTP
 * requests, the event stream) can look at it without a lock while training goes on. The session
 * makes a new one after every change and publishes it through a volatile field.
 *
 * @param revision increases with every snapshot; the page ignores anything older than what it has
 * @param epoch increases with every Reset; the page then drops its loss history
 * @param paramsVersion increases whenever the weights change (a step or a Reset)
 * @param settings the dataset and configuration of the current model
 * @param examples the first documents in training order (after the shuffle)
 * @param vocab the text of every token, by id ({@code "<BOS>"} for BOS)
 * @param numParams the number of parameters
 * @param step the number of steps done
 * @param totalSteps the length of the run (Num steps)
 * @param running whether a Run is in progress
 * @param stepsPerSecond the speed of the current or last Run
 * @param overlay what the overlay shows, or {@code null} before the first step or token
 * @param attention the attention rows of the latest pass, {@code [layer][head][row][key]}
 * @param log the steps so far
 * @param samples the finished samples shown on the page
 * @param message a note from the server, such as a diverged run, or {@code null}
 * @param matrices the weight matrices
 * @param values the parameters' values
 * @param grads the gradients of the latest step
 */
record Snapshot(long revision, long epoch, long paramsVersion, Settings settings, List<String> examples,
                List<String> vocab,
                int numParams, int step, int totalSteps, boolean running, double stepsPerSecond, Overlay overlay,
                double[][][][] attention, StepLog.View log, List<String> samples, String message,
                List<MatrixLayout> matrices, double[] values, double[] grads) {

    /**
     * What the session adds to a run's state in a snapshot: its counters, settings and note.
     *
     * @param revision see {@link Snapshot#revision()}
     * @param epoch see {@link Snapshot#epoch()}
     * @param paramsVersion see {@link Snapshot#paramsVersion()}
     * @param settings see {@link Snapshot#settings()}
     * @param running see {@link Snapshot#running()}
     * @param stepsPerSecond see {@link Snapshot#stepsPerSecond()}
     * @param message see {@link Snapshot#message()}
     */
    record Header(long revision, long epoch, long paramsVersion, Settings settings, boolean running,
                  double stepsPerSecond, String message) {
    }

    /** How many log lines a state carries at most (the loss curve always gets every step). */
    static final int LOG_LINES = 500;
    /**
     * How many characters of a document a state carries: a long document is cut here and ends in
     * "…", so that a state's size depends on the settings' limits, never on the dataset. The model
     * reads at most the block size (32) of them anyway.
     */
    static final int SHOWN_DOCUMENT_CHARS = 48;

    /**
     * A document as a state shows it: whole up to {@value #SHOWN_DOCUMENT_CHARS} characters, cut
     * there otherwise (never inside a character).
     *
     * @param document the document
     * @return the text to show
     */
    static String shown(String document) {
        if (document.codePointCount(0, document.length()) <= SHOWN_DOCUMENT_CHARS) {
            return document;
        }
        return document.substring(0, document.offsetByCodePoints(0, SHOWN_DOCUMENT_CHARS)) + "…";
    }

    /**
     * The state as JSON, with the steps from {@code fromRecord} on.
     *
     * @param fromRecord the first step record to include (0 for all); the page appends them
     * @return the JSON text
     */
    String stateJson(int fromRecord) {
        int from = Math.max(0, Math.min(fromRecord, log.size()));
        StringWriter text = new StringWriter();
        try (JsonWriter out = new JsonWriter(text)) {
            out.beginObject();
            out.name("revision").value(revision);
            out.name("epoch").value(epoch);
            out.name("paramsVersion").value(paramsVersion);
            out.name("stats").beginObject();
            out.name("numDocs").value(settings.documents().size());
            out.name("vocabSize").value(vocab.size());
            out.name("numParams").value(numParams);
            out.endObject();
            out.name("vocab").beginArray();
            for (String token : vocab) {
                out.value(token);
            }
            out.endArray();
            out.name("bos").value(vocab.size() - 1);
            GptConfig config = settings.config();
            out.name("model").value(settings.architecture().id());
            out.name("engine").value(settings.engine().id());
            out.name("config").beginObject();
            out.name("model").value(settings.architecture().id());
            out.name("engine").value(settings.engine().id());
            out.name("nLayer").value(config.nLayer());
            out.name("nEmbd").value(config.nEmbd());
            out.name("nHead").value(config.nHead());
            out.name("blockSize").value(config.blockSize());
            out.name("learningRate").value(settings.learningRate());
            out.name("seed").value(settings.seed());
            out.name("numSteps").value(totalSteps);
            out.endObject();
            out.name("dataset").beginObject();
            out.name("source").value(settings.source());
            out.name("name").value(settings.name());
            out.name("numDocs").value(settings.documents().size());
            out.name("examples").beginArray();
            for (String document : examples) {
                out.value(shown(document));
            }
            out.endArray();
            out.endObject();
            out.name("step").value(step);
            out.name("totalSteps").value(totalSteps);
            out.name("finished").value(step >= totalSteps);
            out.name("running").value(running);
            out.name("stepsPerSecond");
            number(out, stepsPerSecond);
            out.name("baseline");
            number(out, Math.log(vocab.size()));
            out.name("overlay");
            overlay(out);
            out.name("attention");
            attention(out);
            out.name("recordsFrom").value(from);
            out.name("recordCount").value(log.size());
            out.name("losses").beginArray();
            for (int i = from; i < log.size(); i++) {
                number(out, log.get(i).loss());
            }
            out.endArray();
            out.name("log").beginArray();
            for (int i = Math.max(from, log.size() - LOG_LINES); i < log.size(); i++) {
                StepRecord record = log.get(i);
                out.beginObject();
                out.name("step").value(record.step());
                out.name("loss");
                number(out, record.loss());
                out.name("lr");
                number(out, record.learningRate());
                out.name("document").value(shown(record.document()));
                out.name("posId").value(record.posId());
                out.name("perDocument").value(record.perDocument());
                out.endObject();
            }
            out.endArray();
            out.name("samples").beginArray();
            for (String sample : samples) {
                out.value(sample);
            }
            out.endArray();
            out.name("message").value(message);
            out.endObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return text.toString();
    }

    private void overlay(JsonWriter out) throws IOException {
        if (overlay == null) {
            out.nullValue();
            return;
        }
        out.beginObject();
        out.name("mode").value(overlay.generation() ? "generation" : "training");
        out.name("step").value(overlay.step());
        out.name("perDocument").value(overlay.perDocument());
        out.name("posId").value(overlay.posId());
        out.name("context").beginArray();
        for (int token : overlay.context()) {
            out.value(token);
        }
        out.endArray();
        out.name("inputToken").value(overlay.inputToken());
        out.name("targetToken").value(overlay.targetToken());
        out.name("outputToken").value(overlay.outputToken());
        out.name("document").value(overlay.document() == null ? null : shown(overlay.document()));
        out.name("loss");
        number(out, overlay.loss());
        out.name("probabilities").beginArray();
        for (double p : overlay.probabilities()) {
            number(out, p);
        }
        out.endArray();
        out.name("temperature");
        number(out, overlay.temperature());
        out.name("sample").value(overlay.sample());
        out.name("sampleText").value(overlay.sampleText());
        out.name("sampleDone").value(overlay.sampleDone());
        out.endObject();
    }

    private void attention(JsonWriter out) throws IOException {
        out.beginArray();
        for (double[][][] layer : attention) {
            out.beginArray();
            for (double[][] head : layer) {
                out.beginArray();
                for (double[] row : head) {
                    if (row == null) {
                        out.nullValue();
                        continue;
                    }
                    out.beginArray();
                    for (double w : row) {
                        out.value((float) w);
                    }
                    out.endArray();
                }
                out.endArray();
            }
            out.endArray();
        }
        out.endArray();
    }

    /**
     * The weights and their gradients as JSON.
     *
     * @param matrix the name of one matrix, or {@code null} for all
     * @param compact whether to round the numbers to float precision (for the live page, where
     *     the text is three times shorter and the difference invisible)
     * @return the JSON text
     * @throws ApiException (400) if there is no matrix of that name
     */
    String weightsJson(String matrix, boolean compact) {
        List<MatrixLayout> selected = selected(matrix);
        StringWriter text = new StringWriter();
        try (JsonWriter out = new JsonWriter(text)) {
            out.beginObject();
            out.name("revision").value(revision);
            out.name("epoch").value(epoch);
            out.name("paramsVersion").value(paramsVersion);
            out.name("step").value(step);
            out.name("matrices").beginArray();
            for (MatrixLayout m : selected) {
                out.beginObject();
                out.name("name").value(m.name());
                out.name("rows").value(m.rows());
                out.name("cols").value(m.cols());
                out.name("offset").value(m.offset());
                out.endObject();
            }
            out.endArray();
            for (String field : List.of("values", "grads")) {
                double[] numbers = field.equals("values") ? values : grads;
                out.name(field).beginArray();
                for (MatrixLayout m : selected) {
                    for (int i = m.offset(); i < m.offset() + m.size(); i++) {
                        if (compact) {
                            out.value((float) numbers[i]);
                        } else {
                            number(out, numbers[i]);
                        }
                    }
                }
                out.endArray();
            }
            out.endObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return text.toString();
    }

    /**
     * How many weights {@link #weightsJson} would write, known before it is written.
     *
     * @param matrix the name of one matrix, or {@code null} for all
     * @return the number of weights (each with its gradient)
     * @throws ApiException (400) if there is no matrix of that name
     */
    long weightCount(String matrix) {
        long count = 0;
        for (MatrixLayout m : selected(matrix)) {
            count += m.size();
        }
        return count;
    }

    private List<MatrixLayout> selected(String matrix) {
        if (matrix == null) {
            return matrices;
        }
        List<MatrixLayout> selected = matrices.stream().filter(m -> m.name().equals(matrix)).toList();
        if (selected.isEmpty()) {
            throw ApiException.badRequest("there is no weight matrix " + ApiException.quoted(matrix) + "; the matrices are "
                    + matrices.stream().map(MatrixLayout::name).toList());
        }
        return selected;
    }

    /** JSON has no NaN or infinity: those become null. */
    private static void number(JsonWriter out, double value) throws IOException {
        if (Double.isFinite(value)) {
            out.value(value);
        } else {
            out.nullValue();
        }
    }
}
