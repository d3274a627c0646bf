package io.github.microgpt.model;

import io.github.microgpt.internal.FusedUpdates;
import io.github.microgpt.internal.RangeTask;
import io.github.microgpt.internal.kernels.MatrixKernels;
import io.github.microgpt.internal.kernels.SmallKernels;
import io.github.microgpt.internal.kernels.Team;
import java.util.Locale;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.function.Supplier;

/**
 * Which code computes the matrix products of the {@link ArrayGptModel} in this JVM: the core's own
 * loops ({@link Implementation#PLAIN}), which HotSpot compiles to SIMD instructions on any JDK 17,
 * or the optional {@code microgpt-vector} module ({@link Implementation#VECTOR}), written with the
 * incubating Vector API ({@code jdk.incubator.vector}).
 *
 * <pre>{@code
 * if (ArrayKernels.implementation() == ArrayKernels.Implementation.VECTOR) { ... }
 * System.out.println(ArrayKernels.implementation().id());   // "plain" or "vector"
 * }</pre>
 *
 * <p><b>How the choice is made</b>, once per JVM, when the array engine first multiplies: the
 * system property {@code microgpt.kernels} says {@code plain}, {@code vector} or {@code auto} (the
 * default). {@code auto} takes the Vector API kernels when the {@code microgpt-vector} jar is on
 * the class or module path and the JVM was started with {@code --add-modules jdk.incubator.vector}
 * (on the module path a module that requires it is enough), and the plain loops otherwise,
 * silently. {@code vector} insists: without the module, the first product fails with an
 * {@link IllegalStateException} that says what is missing.
 * Kernels may still leave some products to the plain loops: the Vector API kernels leave those
 * too small to pay back their warm-up. The products of small models ({@code microgpt.py}'s, for
 * one) and Adam's update of their short rows go to the module's small-shape kernels
 * ({@code SmallKernels}, a service of the module's internal package, not part of the API)
 * instead, which give the plain loops' bits, backward included.
 *
 * <p><b>What does not change.</b> Both compute the double-precision forward pass bit for bit as
 * the {@code Value} engine (every sum the same left fold), so the golden run is reproduced with
 * either, and neither depends on the number of threads. Gradients, and everything in
 * {@link Precision#F32}, may differ between them by rounding.
 *
 * <p><b>For users, not for kernel providers.</b> This class only answers which kernels run
 * ({@code microgpt bench} prints it with its figures). Kernels are provided through the service
 * interfaces of {@code io.github.microgpt.internal.kernels}, which {@code module-info} exports to
 * {@code io.github.microgpt.vector} only; on the class path they are visible, but not API.
 */
public final class ArrayKernels {

    /** The system property that chooses the kernels. */
    static final String PROPERTY = "microgpt.kernels";

    private static final String INCUBATOR = "jdk.incubator.vector";

    private ArrayKernels() {
    }

    /**
     * The code that can compute the array engine's matrix products: an enum, like {@link Engine}
     * and {@link Precision}, rather than a name to compare as a string.
     */
    public enum Implementation {

        /** The core's own loops, plain Java on any JDK 17: always there. */
        PLAIN("plain"),

        /**
         * The Vector API kernels of the optional {@code microgpt-vector} module (the incubating
         * {@code jdk.incubator.vector}).
         */
        VECTOR("vector");

        private final String id;

        Implementation(String id) {
            this.id = id;
        }

        /**
         * The short name, as the system property {@code microgpt.kernels} takes it and
         * {@code microgpt bench} reports it.
         *
         * @return {@code "plain"} or {@code "vector"}
         */
        public String id() {
            return id;
        }
    }

    /**
     * The kernels chosen for this JVM.
     *
     * @return the code that computes the array engine's matrix products
     * @throws IllegalStateException if {@code -Dmicrogpt.kernels} asks for kernels that are not
     *     available, or is not one of {@code auto}, {@code plain} and {@code vector}
     */
    public static Implementation implementation() {
        Choice choice = Holder.CHOICE;
        if (choice.problem != null) {
            throw new IllegalStateException(choice.problem);
        }
        return choice.implementation;
    }

    // The hooks at the top of Kernels' and FloatKernels' products: false leaves the call to them.

    // The small-shape kernels are asked first: they take only products too small for the others,
    // on the calling thread (and, being exact, with the bits of any split), and asking them costs
    // no allocation, whereas a Team for the others is a new object every call.

    static boolean matmulForward(double[][] out, double[][] in, double[][] w, int from, int to, double[][] wT,
                                 Workers workers) {
        MatrixKernels kernels = Holder.KERNELS;
        if (kernels == null) {
            return false;
        }
        SmallKernels small = Holder.SMALL;
        if (small != null && isSmall(w, to - from) && small.matmulForward(out, in, w, from, to)) {
            return true;
        }
        return wT != null && kernels.matmulForward(out, in, w, from, to, wT, team(workers));
    }

    static boolean matmulBackward(double[][] din, double[][] dw, double[][] dout, double[][] in, double[][] w,
                                  int from, int to, Workers workers, boolean dwCleared) {
        return matmulBackward(din, dw, dout, in, w, from, to, workers, dwCleared, false);
    }

    /**
     * {@link #matmulBackward} with the rows {@code [from, to)} of {@code din} overwritten rather
     * than added to when {@code overwrite} (see {@link MatrixKernels#matmulBackwardOverwrite}):
     * the kernels zero them in their own pieces. False leaves the call to the core's loops, with
     * {@code din}'s rows possibly zeroed already.
     */
    static boolean matmulBackward(double[][] din, double[][] dw, double[][] dout, double[][] in, double[][] w,
                                  int from, int to, Workers workers, boolean dwCleared, boolean overwrite) {
        MatrixKernels kernels = Holder.KERNELS;
        if (kernels == null) {
            return false;
        }
        SmallKernels small = Holder.SMALL;
        boolean zero = overwrite;
        if (small != null && isSmall(w, to - from)) {
            if (overwrite && small.matmulBackwardOverwrite(din, dw, dout, in, w, from, to, dwCleared)) {
                return true;
            }
            if (overwrite) {
                // As before: zeros, then the small kernels' sums added to them (their bits).
                Kernels.zeroRows(din, from, to);
                zero = false;
            }
            if (small.matmulBackward(din, dw, dout, in, w, from, to)) {
                return true;
            }
        }
        return zero
                ? kernels.matmulBackwardOverwrite(din, dw, dout, in, w, from, to, team(workers), dwCleared)
                : kernels.matmulBackward(din, dw, dout, in, w, from, to, team(workers), dwCleared);
    }

    /**
     * The fewest multiply-adds of a product left to the other kernels rather than given to the
     * small-shape kernels, which run it on the calling thread ({@link MatrixKernels#SMALL_MULTIPLY_ADDS},
     * where the optional module reads it too).
     */
    private static final long SMALL_MULTIPLY_ADDS = MatrixKernels.SMALL_MULTIPLY_ADDS;

    /** Whether a product is for the small-shape kernels. */
    private static boolean isSmall(double[][] w, int positions) {
        return (long) w.length * w[0].length * positions < SMALL_MULTIPLY_ADDS;
    }

    /**
     * Whether this JVM's matrix products are the optional module's rather than the core's loops:
     * only those read the transposed weights' scratch of a workspace, so with the core's loops it
     * is never allocated (8 MB at {@code nEmbd} 256).
     */
    static boolean runsOptionalKernels() {
        return Holder.KERNELS != null;
    }

    /**
     * The small-shape kernels of this JVM's choice, for Adam's update of short rows; null with the
     * plain loops (or when the optional module has none).
     */
    static SmallKernels small() {
        return Holder.KERNELS == null ? null : Holder.SMALL;
    }

    static boolean matmulForward(float[][] out, float[][] in, float[][] w, int from, int to, float[][] wT,
                                 Workers workers) {
        MatrixKernels kernels = Holder.KERNELS;
        return kernels != null && wT != null && kernels.matmulForward(out, in, w, from, to, wT, team(workers));
    }

    static boolean matmulForwardRelu(float[][] out, float[][] in, float[][] w, int from, int to, float[][] wT,
                                     Workers workers) {
        MatrixKernels kernels = Holder.KERNELS;
        return kernels != null && wT != null && kernels.matmulForwardRelu(out, in, w, from, to, wT, team(workers));
    }

    static boolean matmulBackward(float[][] din, float[][] dw, float[][] dout, float[][] in, float[][] w,
                                  int from, int to, Workers workers, boolean dwCleared) {
        MatrixKernels kernels = Holder.KERNELS;
        return kernels != null && kernels.matmulBackward(din, dw, dout, in, w, from, to, team(workers), dwCleared);
    }

    /**
     * {@link #matmulBackward(float[][], float[][], float[][], float[][], float[][], int, int, Workers, boolean)}
     * with {@code update} run over the rows {@code [firstRow, firstRow + w.length)} of the
     * parameters inside the product (see {@link MatrixKernels#matmulBackwardAndUpdate}); false,
     * having computed nothing, when the kernels leave that to the caller.
     */
    static boolean matmulBackwardAndUpdate(float[][] din, float[][] dw, float[][] dout, float[][] in, float[][] w,
                                           int from, int to, Workers workers, boolean dwCleared, RangeTask update,
                                           int firstRow) {
        MatrixKernels kernels = Holder.KERNELS;
        if (kernels == null) {
            return false;
        }
        return kernels.matmulBackwardAndUpdate(din, dw, dout, in, w, from, to, team(workers), dwCleared,
                matrixRows(update, firstRow));
    }

    /**
     * {@link #matmulBackward(double[][], double[][], double[][], double[][], double[][], int, int, Workers,
     * boolean, boolean)} with {@code din}'s rows overwritten and {@code update} run over the rows
     * {@code [firstRow, firstRow + w.length)} of the parameters inside the product (see
     * {@link MatrixKernels#matmulBackwardOverwriteAndUpdate}); false, having written nothing, when
     * the kernels leave that to the caller, as they do for the small-shape kernels' products.
     */
    static boolean matmulBackwardOverwriteAndUpdate(double[][] din, double[][] dw, double[][] dout, double[][] in,
                                                    double[][] w, int from, int to, Workers workers,
                                                    boolean dwCleared, RangeTask update, int firstRow) {
        MatrixKernels kernels = Holder.KERNELS;
        if (kernels == null || (Holder.SMALL != null && isSmall(w, to - from))) {
            return false;
        }
        return kernels.matmulBackwardOverwriteAndUpdate(din, dw, dout, in, w, from, to, team(workers), dwCleared,
                matrixRows(update, firstRow));
    }

    /**
     * The update of one matrix's rows, counted from the matrix's first row, which is row
     * {@code firstRow} of the parameters: the optimizer's update hands that range out itself (and
     * it may take the rows' gradients from the kernels' scratch); any other update is offset here.
     */
    private static Team.Range matrixRows(RangeTask update, int firstRow) {
        return update instanceof FusedUpdates.Rows rows ? rows.matrix(firstRow)
                : (r0, r1) -> update.run(firstRow + r0, firstRow + r1);
    }

    static boolean attentionForward(float[][] out, float[][][] weights, float[][] qkv, float[][] keysT, int nHead,
                                    float scale, int from, int to, Workers workers) {
        MatrixKernels kernels = Holder.KERNELS;
        return kernels != null
                && kernels.attentionForward(out, weights, qkv, keysT, nHead, scale, from, to, team(workers));
    }

    static boolean attentionBackward(float[][] dqkv, float[][] dout, float[][] qkv, float[][][] weights,
                                     float[][] valuesT, float[][] dweights, int nHead, float scale, int from, int to,
                                     Workers workers) {
        MatrixKernels kernels = Holder.KERNELS;
        return kernels != null && kernels.attentionBackward(dqkv, dout, qkv, weights, valuesT, dweights, nHead, scale,
                from, to, team(workers));
    }

    private static Team team(Workers workers) {
        return (count, grain, task) -> workers.forRange(count, grain, task::run);
    }

    /** The outcome of the choice: kernels to call (none for the plain loops), or why there are none. */
    static final class Choice {
        final Implementation implementation;
        final MatrixKernels kernels;
        final String problem;

        private Choice(Implementation implementation, MatrixKernels kernels, String problem) {
            this.implementation = implementation;
            this.kernels = kernels;
            this.problem = problem;
        }
    }

    /**
     * The choice for a value of the property, given a way to look for the Vector API kernels
     * (empty with the reason when they cannot be had).
     */
    static Choice choose(String property, Supplier<Lookup> lookup) {
        String wanted = property == null ? "auto" : property.trim().toLowerCase(Locale.ROOT);
        switch (wanted) {
            case "plain":
                return new Choice(Implementation.PLAIN, null, null);
            case "auto":
            case "vector": {
                Lookup found = lookup.get();
                if (found.kernels.isPresent()) {
                    // Kernels found by the service loader are the optional module's: the only provider.
                    return new Choice(Implementation.VECTOR, found.kernels.get(), null);
                }
                if (wanted.equals("auto")) {
                    return new Choice(Implementation.PLAIN, null, null);
                }
                return refused("-D" + PROPERTY + "=vector, but " + found.reason);
            }
            default:
                return refused("unknown value of -D" + PROPERTY + ": \"" + property
                        + "\"; the values are auto, plain and vector");
        }
    }

    /** Kernels that fail with {@code problem} when first used, so that a bad choice is never silent. */
    private static Choice refused(String problem) {
        MatrixKernels failing = new MatrixKernels() {
            @Override
            public boolean matmulForward(double[][] out, double[][] in, double[][] w, int from, int to,
                                         double[][] wT, Team team) {
                throw new IllegalStateException(problem);
            }

            @Override
            public boolean matmulBackward(double[][] din, double[][] dw, double[][] dout, double[][] in,
                                          double[][] w, int from, int to, Team team) {
                throw new IllegalStateException(problem);
            }

            @Override
            public boolean matmulForward(float[][] out, float[][] in, float[][] w, int from, int to,
                                         float[][] wT, Team team) {
                throw new IllegalStateException(problem);
            }

            @Override
            public boolean matmulBackward(float[][] din, float[][] dw, float[][] dout, float[][] in,
                                          float[][] w, int from, int to, Team team) {
                throw new IllegalStateException(problem);
            }
        };
        return new Choice(null, failing, problem);
    }

    /** What a search for the Vector API kernels found: the kernels, or the reason there are none. */
    static final class Lookup {
        final Optional<MatrixKernels> kernels;
        final String reason;

        Lookup(Optional<MatrixKernels> kernels, String reason) {
            this.kernels = kernels;
            this.reason = reason;
        }
    }

    /**
     * Looks for the kernels with {@link ServiceLoader}. The incubator module is asked for first:
     * without it the provider's classes could not link, and trying costs startup time.
     */
    static Lookup lookUp() {
        if (ModuleLayer.boot().findModule(INCUBATOR).isEmpty()) {
            return new Lookup(Optional.empty(), "the module " + INCUBATOR
                    + " is not resolved: start java with --add-modules " + INCUBATOR);
        }
        try {
            for (MatrixKernels kernels : ServiceLoader.load(MatrixKernels.class, ArrayKernels.class.getClassLoader())) {
                return new Lookup(Optional.of(kernels), null);
            }
        } catch (ServiceConfigurationError | LinkageError e) {
            return new Lookup(Optional.empty(), "the Vector API kernels could not be loaded: " + e);
        }
        return new Lookup(Optional.empty(), "the microgpt-vector module is not on the class or module path");
    }

    /**
     * Looks for the small-shape kernels beside chosen Vector API kernels: none when the choice is
     * the plain loops or failed.
     */
    static SmallKernels lookUpSmall(Choice choice) {
        if (choice.kernels == null || choice.problem != null) {
            return null;
        }
        try {
            for (SmallKernels kernels : ServiceLoader.load(SmallKernels.class, ArrayKernels.class.getClassLoader())) {
                return kernels;
            }
        } catch (ServiceConfigurationError | LinkageError e) {
            return null;
        }
        return null;
    }

    /** Chosen on first use, so that a program that never multiplies arrays never looks. */
    private static final class Holder {
        static final Choice CHOICE = choose(System.getProperty(PROPERTY), ArrayKernels::lookUp);
        static final MatrixKernels KERNELS = CHOICE.kernels;
        static final SmallKernels SMALL = lookUpSmall(CHOICE);
    }
}
