package io.github.microgpt.vector;

import static io.github.microgpt.testsupport.Bits.assertBits;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.microgpt.model.ArrayGptModel;
import io.github.microgpt.model.ArrayKernels;
import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.Precision;
import io.github.microgpt.optim.AdamOptimizer;
import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.sample.NextToken;
import io.github.microgpt.sample.Sampler;
import io.github.microgpt.testsupport.Together;
import io.github.microgpt.text.Tokenizer;
import io.github.microgpt.train.Evaluation;
import io.github.microgpt.train.StepMode;
import io.github.microgpt.train.Trainer;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The array engine with the Vector API kernels, read by several threads at once: the samples,
 * losses and predictions are those of the same reads one after another, bit for bit. A read
 * runs one position at a time, so of these kernels it meets the attention (the small-shape
 * kernels' heads of 4 in double precision, {@code FloatAttention}'s wider heads in single), and
 * after a few steps of training every product these kernels hold scratch for.
 */
class ConcurrentReadsVectorTest {

    private static final List<String> DOCS = List.of("emma", "olivia", "ava", "isabella", "sophia", "charlotte",
            "mia", "amelia", "harper", "evelyn", "abigail", "emily", "elizabeth", "mila", "ella", "avery");
    private static final Tokenizer TOKENIZER = Tokenizer.fromDocuments(DOCS);
    private static final List<String> HELD_OUT = List.of("ema", "lia", "ivy", "sophie");

    @BeforeAll
    static void theVectorKernelsAreInUse() {
        assertEquals(ArrayKernels.Implementation.VECTOR, ArrayKernels.implementation(),
                "these tests need the Vector API kernels");
    }

    /** One thread's reads in one round: samples of its own seed, the held-out loss, a prediction. */
    private record Reads(List<String> names, double loss, double[] next) {
        static Reads of(ArrayGptModel model, int thread, int round) {
            List<String> names = new Sampler(model, TOKENIZER, new PythonRandom(100L * thread + round))
                    .samples(3, 0.8);
            return new Reads(names, Evaluation.loss(model, TOKENIZER, HELD_OUT),
                    NextToken.after(model, TOKENIZER, round % 2 == 0 ? "" : "a").probabilities());
        }
    }

    @ParameterizedTest
    @CsvSource({"16, 4, F64", "16, 4, F32", "64, 4, F64", "64, 4, F32", "64, 2, F32"})
    void threadsReadingOneModelAtOnceGetWhatTheyGetOneAfterAnother(int nEmbd, int nHead, Precision precision)
            throws Exception {
        GptConfig config = GptConfig.defaults().withNEmbd(nEmbd).withNHead(nHead);
        ArrayGptModel model = ArrayGptModel.create(config, TOKENIZER.vocabSize(), new PythonRandom(42), precision);
        new Trainer(model, TOKENIZER, DOCS, new AdamOptimizer(model.numParameters()), 8).run(StepMode.DOCUMENT);
        int threads = 4;
        int rounds = 6;
        Reads[][] alone = new Reads[threads][rounds];
        for (int t = 0; t < threads; t++) {
            for (int r = 0; r < rounds; r++) {
                alone[t][r] = Reads.of(model, t, r);
            }
        }
        List<List<Reads>> together = Together.run(threads, rounds, 120, (t, r) -> Reads.of(model, t, r));
        for (int t = 0; t < threads; t++) {
            for (int r = 0; r < rounds; r++) {
                String where = config + " " + precision + ", thread " + t + ", round " + r;
                assertEquals(alone[t][r].names(), together.get(t).get(r).names(), where + ": the samples");
                assertBits(alone[t][r].loss(), together.get(t).get(r).loss(), where + ": the loss");
                assertBits(alone[t][r].next(), together.get(t).get(r).next(), where + ": the prediction");
            }
        }
    }
}
