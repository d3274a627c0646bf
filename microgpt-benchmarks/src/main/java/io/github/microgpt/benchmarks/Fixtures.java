package io.github.microgpt.benchmarks;

import io.github.microgpt.model.FlopCount;
import io.github.microgpt.model.GptConfig;
import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.text.Documents;
import io.github.microgpt.text.Tokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** What the benchmarks share: the training data and the operation counts. */
final class Fixtures {

    private Fixtures() {
    }

    /** The names embedded in the library, shuffled by CPython's generator with seed 42. */
    static List<String> shuffledNames(PythonRandom random) {
        List<String> docs = new ArrayList<>(Documents.embeddedNames());
        random.shuffle(docs);
        return docs;
    }

    /**
     * Random documents of {@code length} letters a–z: every document fills a context of
     * {@code blockSize = length} positions, so that the cost of a step follows the block size
     * (names are mostly shorter than 16 letters and would hide it).
     */
    static List<String> fullLengthDocuments(int count, int length, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<String> docs = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            StringBuilder doc = new StringBuilder(length);
            for (int j = 0; j < length; j++) {
                doc.append((char) ('a' + r.nextInt(26)));
            }
            docs.add(doc.toString());
        }
        return docs;
    }

    /** The positions a training step of the document trains: {@code min(blockSize, tokens - 1)}. */
    static int positions(GptConfig config, Tokenizer tokenizer, String document) {
        return Math.min(config.blockSize(), tokenizer.encodeDocument(document).length - 1);
    }

    /** {@link FlopCount#trainingStep} of each document, in GFLOP. */
    static double[] trainingStepGflop(GptConfig config, Tokenizer tokenizer, List<String> docs) {
        double[] gflop = new double[docs.size()];
        for (int i = 0; i < gflop.length; i++) {
            gflop[i] = FlopCount.trainingStep(config, tokenizer.vocabSize(),
                    positions(config, tokenizer, docs.get(i))) / 1e9;
        }
        return gflop;
    }
}
