package io.github.microgpt.consumer.jpms;

import io.github.microgpt.autograd.Value;
import io.github.microgpt.checkpoint.Checkpoint;
import io.github.microgpt.checkpoint.LossHistory;
import io.github.microgpt.checkpoint.ResumedTraining;
import io.github.microgpt.checkpoint.TrainingRun;
import io.github.microgpt.checkpoint.TrainingState;
import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.GptModel;
import io.github.microgpt.model.KvCache;
import io.github.microgpt.model.ParameterLayout;
import io.github.microgpt.model.ValueLanguageModel;
import io.github.microgpt.optim.AdamOptimizer;
import io.github.microgpt.optim.AdamSettings;
import io.github.microgpt.optim.LearningRateSchedule;
import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.random.RandomSource;
import io.github.microgpt.sample.Sampler;
import io.github.microgpt.text.DataSource;
import io.github.microgpt.text.Documents;
import io.github.microgpt.text.Tokenizer;
import io.github.microgpt.train.StepMode;
import io.github.microgpt.train.Trainer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * What a program in another module plugs into the library, and the resume protocol, through the
 * exported API only: a model of its own over {@code Value}s (the protected members of
 * {@link ValueLanguageModel}), a random source of its own, a learning-rate schedule of its own,
 * and a run saved part-way and resumed from its recorded source and seed.
 */
public final class ExtendingProgram {

    private ExtendingProgram() {
    }

    /**
     * A bigram table of the program's own: the logits of the next token are the row of the token
     * read, so it learns which letter follows which.
     */
    static final class OwnBigram extends ValueLanguageModel {
        private final Value[][] table;

        OwnBigram(int vocabSize, RandomSource random) {
            super(new GptConfig(1, 4, 1, 16, 0.08), vocabSize, gaussianWeights(
                    ParameterLayout.builder().add("table", vocabSize, vocabSize).build(), 0.08, random));
            table = matrix("table");
        }

        @Override
        public Value[] forward(int tokenId, int posId, KvCache cache) {
            return table[tokenId].clone();
        }
    }

    /** A random source of the program's own, over the JDK's generator. */
    static final class JdkRandom implements RandomSource {
        private final SplittableRandom random;

        JdkRandom(long seed) {
            random = new SplittableRandom(seed);
        }

        @Override
        public double random() {
            return random.nextDouble();
        }

        @Override
        public int randBelow(int n) {
            if (n <= 0) {
                throw new IllegalArgumentException("n must be positive, got " + n);
            }
            return random.nextInt(n);
        }

        @Override
        public double gauss(double mu, double sigma) {
            // Box–Muller, one of the pair: enough for initial weights.
            double u = 1.0 - random.nextDouble();
            return mu + sigma * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random.nextDouble());
        }
    }

    /** A warm-up then a cosine: a schedule of the program's own, a function of its arguments only. */
    static final LearningRateSchedule WARM_COSINE = (baseRate, stepIndex, totalSteps) -> {
        int warmUp = Math.max(1, totalSteps / 10);
        if (stepIndex < warmUp) {
            return baseRate * (stepIndex + 1) / warmUp;
        }
        return baseRate * 0.5 * (1 + Math.cos(Math.PI * (stepIndex - warmUp) / (totalSteps - warmUp)));
    };

    /**
     * Trains the program's own model with the program's own random source, and samples it.
     *
     * @param steps the number of steps
     * @return the first and the last step's loss, then five names
     */
    public static OwnModelRun trainOwnModel(int steps) {
        RandomSource random = new JdkRandom(5);
        List<String> docs = new ArrayList<>(Documents.embeddedNames());
        random.shuffle(docs);
        Tokenizer tokenizer = Tokenizer.fromDocuments(docs);
        OwnBigram model = new OwnBigram(tokenizer.vocabSize(), random);
        Trainer trainer = new Trainer(model, tokenizer, docs,
                new AdamOptimizer(model.numParameters(), AdamSettings.defaults().withLearningRate(0.05)), steps);
        double first = trainer.step(StepMode.DOCUMENT).loss();
        double last = first;
        while (!trainer.isFinished()) {
            last = trainer.step(StepMode.DOCUMENT).loss();
        }
        return new OwnModelRun(first, last, new Sampler(model, tokenizer, random).samples(5, 0.5));
    }

    /**
     * What {@link #trainOwnModel} saw.
     *
     * @param firstLoss the loss of the first step
     * @param lastLoss the loss of the last step
     * @param names names sampled after the run
     */
    public record OwnModelRun(double firstLoss, double lastLoss, List<String> names) {
    }

    /**
     * Trains a GPT with a schedule of the program's own for {@code steps} steps, saving after
     * {@code saveAfter}; then resumes the saved run from the checkpoint alone (its recorded data
     * source and seed, and the schedule given back) and finishes it.
     *
     * @param directory where to save the checkpoint
     * @param steps the length of the run
     * @param saveAfter the step after which the run is saved
     * @return the losses of the uninterrupted run and of the saved part and the resumed rest
     * @throws IOException if the checkpoint cannot be written or read
     */
    public static ResumeRun saveAndResume(Path directory, int steps, int saveAfter) throws IOException {
        GptConfig config = new GptConfig(1, 8, 2, 8, 0.08);
        TrainingRun recipe = new TrainingRun(3, DataSource.embedded());
        PythonRandom random = new PythonRandom(recipe.seed());
        List<String> order = new ArrayList<>(Documents.load(recipe.data()));
        random.shuffle(order);
        Tokenizer tokenizer = Tokenizer.fromDocuments(order);
        GptModel model = GptModel.create(config, tokenizer.vocabSize(), random);
        AdamSettings settings = AdamSettings.defaults().withSchedule(WARM_COSINE);
        Trainer trainer = new Trainer(model, tokenizer, order, new AdamOptimizer(model.numParameters(), settings), steps);
        LossHistory losses = LossHistory.recording(trainer);
        double[] uninterrupted = new double[steps];
        for (int s = 0; s < steps; s++) {
            uninterrupted[s] = trainer.step(StepMode.DOCUMENT).loss();
            if (s + 1 == saveAfter) {
                Checkpoint.save(directory, model, tokenizer, TrainingState.capture(trainer, random, StepMode.DOCUMENT,
                        Map.of("app", "consumer"), recipe, losses.losses()));
            }
        }
        ResumedTraining resumed = Checkpoint.load(directory).withSchedule(WARM_COSINE).resumeRecordedRun();
        resumed.trainer().run(StepMode.DOCUMENT);
        return new ResumeRun(uninterrupted, resumed.lossHistory().losses());
    }

    /**
     * What {@link #saveAndResume} saw.
     *
     * @param uninterrupted the loss of every step of the run that was not stopped
     * @param resumed the loss of every step of the saved run, its resumed steps included
     */
    public record ResumeRun(double[] uninterrupted, double[] resumed) {

        /**
         * Whether the resumed run computed the very losses of the uninterrupted one.
         *
         * @return true if the two histories are equal, bit for bit
         */
        public boolean exact() {
            return Arrays.equals(uninterrupted, resumed);
        }
    }
}
