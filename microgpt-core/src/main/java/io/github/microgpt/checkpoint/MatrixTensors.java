package io.github.microgpt.checkpoint;

import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.ParameterLayout;
import io.github.microgpt.model.MatrixLayout;
import io.github.microgpt.model.Precision;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The weight matrices of a model as tensors of a safetensors file: the copy between the flat
 * parameter list ({@link ParameterLayout}'s order) and one tensor per matrix, in both directions,
 * and the check that a file declares exactly the model's tensors.
 */
final class MatrixTensors {

    private MatrixTensors() {
    }

    /**
     * The weight matrices of a GPT in the flat parameter order, from the one
     * {@link ParameterLayout} every engine uses; call it only once the size is bounded
     * ({@link io.github.microgpt.model.Architecture#numParameters}).
     */
    static List<MatrixLayout> layout(GptConfig config, int vocabSize) {
        return ParameterLayout.gpt(config, vocabSize).matrixLayouts();
    }

    /** One tensor per matrix, named {@code NAME + suffix}, cut out of a flat array. */
    static List<Tensor> tensors(List<MatrixLayout> layout, double[] flat, String suffix, DType dtype) {
        List<Tensor> tensors = new ArrayList<>();
        for (MatrixLayout matrix : layout) {
            tensors.add(tensor(matrix, flat, matrix.name() + suffix, dtype));
        }
        return tensors;
    }

    static Tensor tensor(MatrixLayout matrix, double[] flat, String name, DType dtype) {
        return Tensor.matrix(name, dtype, matrix.rows(), matrix.cols(),
                Arrays.copyOfRange(flat, matrix.offset(), matrix.offset() + matrix.size()));
    }

    /**
     * Checks, before reading any data, that a file declares exactly the tensors
     * {@code NAME + suffix} of the layout (for each suffix) with the shapes the configuration
     * gives: a file that declares anything else, however large, is refused without reading it.
     */
    static void checkDeclared(Path file, Safetensors.Opened opened, List<MatrixLayout> layout, String... suffixes)
            throws CheckpointException {
        Set<String> expected = new TreeSet<>();
        for (MatrixLayout matrix : layout) {
            for (String suffix : suffixes) {
                String name = matrix.name() + suffix;
                expected.add(name);
                Safetensors.Entry entry = opened.entry(name);
                if (entry == null) {
                    throw new CheckpointException(file, "tensor \"" + name + "\" is missing");
                }
                int[] shape = {matrix.rows(), matrix.cols()};
                if (!Arrays.equals(entry.shape(), shape)) {
                    throw new CheckpointException(file, "tensor \"" + name + "\" has shape "
                            + Arrays.toString(entry.shape()) + " but the configuration needs " + Arrays.toString(shape));
                }
            }
        }
        for (Safetensors.Entry entry : opened.entries()) {
            if (!expected.contains(entry.name())) {
                throw new CheckpointException(file, "unexpected tensor " + JsonFields.quoted(entry.name()) + " (shape "
                        + Arrays.toString(entry.shape()) + "): a model of this configuration has " + expected.size()
                        + " tensors here, " + String.join(", ", expected.stream().limit(6).toList())
                        + (expected.size() > 6 ? ", ..." : ""));
            }
        }
    }

    /**
     * The values of the tensors {@code NAME + suffix} for every matrix of the layout, which
     * {@link #checkDeclared} has checked, read one at a time and checked for finiteness, as one
     * flat array in parameter order. For a single-precision model each value must also be finite
     * as a float: a file may store its tensors in {@code F64}, and a value beyond the floats'
     * range (such as {@code 1e300}) would become an infinite weight in the model, which only its
     * first softmax would find.
     *
     * <p>The tensors' type must agree with the precision {@code config.json} declares: an
     * {@code f32} checkpoint's {@code F64} tensors must hold floats exactly (another tool may
     * widen an {@code f32} model's floats; any other value would be rounded to a float without a
     * word), and an {@code f64} checkpoint's moments are {@code F64} (they are always saved in the
     * model's precision; {@code F32} ones are those of an {@code f32} run). An {@code f64}
     * checkpoint's weights may be {@code F32}, as another tool may store them: each is read as
     * the double it stands for.
     *
     * @param precision the precision of the model the values are for
     */
    static double[] read(Path file, Safetensors.Opened opened, List<MatrixLayout> layout, String suffix,
                         Precision precision) throws CheckpointException {
        int total = 0;
        for (MatrixLayout matrix : layout) {
            total += matrix.size();
        }
        double[] flat = new double[total];
        for (MatrixLayout matrix : layout) {
            String name = matrix.name() + suffix;
            Safetensors.Entry entry = opened.entry(name);
            boolean moments = !suffix.isEmpty();
            if (moments && precision == Precision.F64 && entry.dtype() != DType.F64) {
                throw new CheckpointException(file, "tensor \"" + name + "\" is " + entry.dtype() + ", but "
                        + Format.CONFIG_FILE + " declares the precision " + precision.id() + ": Adam's moments are"
                        + " saved in the model's precision (F64 for f64, F32 for f32)");
            }
            boolean floatsOnly = precision == Precision.F32 && entry.dtype() == DType.F64;
            double[] values = opened.read(entry).values();
            for (int i = 0; i < values.length; i++) {
                if (!Double.isFinite(values[i])) {
                    throw new CheckpointException(file, "entry (" + i / matrix.cols() + ", " + i % matrix.cols()
                            + ") of tensor \"" + name + "\" is " + values[i] + "; NaN and infinite values are refused");
                }
                if (precision == Precision.F32 && Float.isInfinite((float) values[i])) {
                    throw new CheckpointException(file, "entry (" + i / matrix.cols() + ", " + i % matrix.cols()
                            + ") of tensor \"" + name + "\" is " + values[i] + ", beyond the range of the floats of "
                            + "this single-precision (f32) model (at most " + Float.MAX_VALUE + " in magnitude)");
                }
                if (floatsOnly && (double) (float) values[i] != values[i]) {
                    throw new CheckpointException(file, "tensor \"" + name + "\" is F64 and its entry ("
                            + i / matrix.cols() + ", " + i % matrix.cols() + ") is " + values[i] + ", which is not a"
                            + " float, but " + Format.CONFIG_FILE + " declares the precision " + precision.id()
                            + ": the " + (moments ? "moments" : "weights") + " would be rounded to floats (an f32"
                            + " checkpoint's tensors are F32, or F64 holding floats exactly)");
                }
            }
            System.arraycopy(values, 0, flat, matrix.offset(), values.length);
        }
        return flat;
    }
}
