package io.github.microgpt.checkpoint;

import io.github.microgpt.internal.ShortIds;
import io.github.microgpt.model.Architecture;
import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.ParameterLayout;
import io.github.microgpt.model.Precision;
import io.github.microgpt.text.Documents;
import io.github.microgpt.text.Tokenizer;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@value Format#CONFIG_FILE}: the model's configuration and its vocabulary, written and read
 * back with every field checked. Reading it is the first step of a load, and everything after is
 * bounded by what it describes.
 */
final class ConfigJson {

    /**
     * What {@value Format#CONFIG_FILE} holds.
     *
     * @param architecture the model of the progression ({@link Architecture#GPT} when the file
     *     does not say: checkpoints written before the other models could be saved)
     * @param config the model's shape
     * @param tokenizer the vocabulary
     * @param numParams the number of parameters the configuration gives (checked against the file)
     * @param precision the precision the model computed in ({@link Precision#F64} when the file
     *     does not say: every checkpoint but an array model's in single precision)
     */
    record Contents(Architecture architecture, GptConfig config, Tokenizer tokenizer, int numParams,
                    Precision precision) {

        /**
         * An upper bound of the number of weight matrices, known before the layout is built: the
         * layout holds a small record per matrix, and a file may claim millions of layers.
         */
        long matricesAtMost() {
            return switch (architecture) {
                case BIGRAM, MLP -> 3;
                case ATTENTION, GPT -> 3 + 6L * config.nLayer();
            };
        }
    }

    private ConfigJson() {
    }

    static Map<String, Object> write(Architecture architecture, GptConfig config, Tokenizer tokenizer,
                                     int numParams, Precision precision) {
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("architecture", architecture.id());
        model.put("n_layer", config.nLayer());
        model.put("n_embd", config.nEmbd());
        model.put("n_head", config.nHead());
        model.put("block_size", config.blockSize());
        model.put("init_std", config.initStd());
        model.put("vocab_size", tokenizer.vocabSize());
        model.put("num_params", numParams);
        if (precision != Precision.F64) {
            // Only a single-precision model says so: an f64 checkpoint stays as it always was.
            model.put("precision", precision.id());
        }
        Map<String, Object> vocabulary = new LinkedHashMap<>();
        vocabulary.put("characters", tokenizer.characters());
        vocabulary.put("bos", tokenizer.bos());
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("format", Format.FORMAT);
        root.put("version", Format.VERSION);
        root.put("model", model);
        root.put("vocabulary", vocabulary);
        return root;
    }

    static Contents read(Path file, JsonFields root) throws CheckpointException {
        JsonFile.checkFormat(file, root, Format.FORMAT, Format.VERSION);
        JsonFields model = root.object("model");
        model.onlyKeys("architecture", "n_layer", "n_embd", "n_head", "block_size", "init_std", "vocab_size",
                "num_params", "precision");
        Architecture architecture = Architecture.GPT;
        if (model.has("architecture")) {
            String id = model.string("architecture");
            try {
                architecture = Architecture.fromId(id);
            } catch (IllegalArgumentException e) {
                throw model.error("architecture", "is " + JsonFields.quoted(id) + ", but the models are "
                        + ShortIds.list(Architecture.values(), Architecture::id));
            }
        }
        GptConfig config = readConfig(file, model);
        int vocabSize = model.integer("vocab_size", 2, Integer.MAX_VALUE);
        Tokenizer tokenizer = readVocabulary(root.object("vocabulary"), vocabSize);
        long numParams = architecture.numParameters(config, vocabSize);
        if (numParams > ParameterLayout.MAX_SIZE) {
            throw new CheckpointException(file, "the configuration describes a " + (architecture == Architecture.GPT
                    ? "" : architecture.id() + " ") + "model of " + numParams + " parameters, more than a model can hold ("
                    + ParameterLayout.MAX_SIZE + ")");
        }
        long saved = model.longInteger("num_params", 0, Long.MAX_VALUE);
        if (saved != numParams) {
            throw model.error("num_params", "is " + saved + " but the configuration gives " + numParams
                    + " parameters" + (architecture == Architecture.GPT ? "" : " for a " + architecture.id() + " model"));
        }
        Precision precision = Precision.F64;
        if (model.has("precision")) {
            String id = model.string("precision");
            try {
                precision = Precision.fromId(id);
            } catch (IllegalArgumentException e) {
                throw model.error("precision", "is " + JsonFields.describe(id) + ", but the precisions are "
                        + ShortIds.list(Precision.values(), Precision::id));
            }
            if (precision == Precision.F32 && architecture != Architecture.GPT) {
                throw model.error("precision", "is f32, but only a gpt (an array model) computes in f32, not a "
                        + architecture.id() + " model");
            }
        }
        return new Contents(architecture, config, tokenizer, (int) numParams, precision);
    }

    /** GptConfig's components and the keys of "model" they are read from, for its refusals. */
    private static final Map<String, String> CONFIG_KEYS = Map.of("nLayer", "n_layer", "nEmbd", "n_embd",
            "nHead", "n_head", "blockSize", "block_size", "initStd", "init_std");

    private static GptConfig readConfig(Path file, JsonFields model) throws CheckpointException {
        // Only what JSON itself decides is checked here (an int, a finite number): the ranges are
        // GptConfig's, its constructor their one place, and its refusal is told in the file's keys.
        int nLayer = model.integer("n_layer", Integer.MIN_VALUE, Integer.MAX_VALUE);
        int nEmbd = model.integer("n_embd", Integer.MIN_VALUE, Integer.MAX_VALUE);
        int nHead = model.integer("n_head", Integer.MIN_VALUE, Integer.MAX_VALUE);
        int blockSize = model.integer("block_size", Integer.MIN_VALUE, Integer.MAX_VALUE);
        double initStd = model.finiteDouble("init_std");
        try {
            return new GptConfig(nLayer, nEmbd, nHead, blockSize, initStd);
        } catch (IllegalArgumentException e) {
            throw model.refusal(e, CONFIG_KEYS);
        }
    }

    private static Tokenizer readVocabulary(JsonFields vocabulary, int vocabSize)
            throws CheckpointException {
        vocabulary.onlyKeys("characters", "bos");
        String characters = vocabulary.string("characters");
        int[] codePoints = characters.codePoints().toArray();
        if (codePoints.length != vocabSize - 1) {
            throw vocabulary.error("characters", "has " + codePoints.length + " characters but vocab_size is "
                    + vocabSize + " (the characters and BOS)");
        }
        String unprintable = unprintable(characters);
        if (unprintable != null) {
            throw vocabulary.error("characters", unprintable);
        }
        for (int i = 1; i < codePoints.length; i++) {
            if (codePoints[i] <= codePoints[i - 1]) {
                throw vocabulary.error("characters", "is not in increasing code-point order at character " + i
                        + " (" + codePoint(codePoints[i]) + "): token ids would change");
            }
        }
        int bos = vocabulary.integer("bos", 0, Integer.MAX_VALUE);
        if (bos != vocabSize - 1) {
            throw vocabulary.error("bos", "is " + bos + " but must be " + (vocabSize - 1) + ", after the characters");
        }
        try {
            return Tokenizer.ofCharacters(characters);
        } catch (IllegalArgumentException e) {
            // Not reached while the checks above cover the tokenizer's; kept for a check it may gain.
            throw vocabulary.error("characters", "is not a vocabulary: " + e.getMessage());
        }
    }

    /**
     * Whether every token of a vocabulary is a character that prints on one line: no control
     * character but the tab (a line break or a terminal's escape would reach the output of every
     * sample), no line or paragraph separator, no half of a surrogate pair, no byte-order mark. This is the one rule
     * of {@link Documents#isRefusedCharacter}, which every data file, text and download is held
     * to before training, so a vocabulary built from them can always be saved.
     *
     * @param characters the vocabulary's characters
     * @return {@code null} if all are fine, else what is wrong with the first that is not
     */
    static String unprintable(String characters) {
        int index = 0;
        for (int i = 0; i < characters.length(); index++) {
            int cp = characters.codePointAt(i);
            i += Character.charCount(cp);
            if (Documents.isRefusedCharacter(cp)) {
                return "holds " + codePoint(cp) + " at character " + index + ", which is not a printable character"
                        + " (tokens are single characters that print on one line: no control characters but the"
                        + " tab, no line breaks, no unpaired surrogates, no byte-order mark)";
            }
        }
        return null;
    }

    private static String codePoint(int cp) {
        return String.format("U+%04X", cp);
    }
}
