/**
 * Optional: the array engine's matrix products written with the Vector API
 * ({@code jdk.incubator.vector}). With this module on the module path (or its jar on the class
 * path and {@code --add-modules jdk.incubator.vector} on the command line), the core's
 * {@code ArrayKernels} finds these kernels and uses them; without it the core's own loops run.
 * It exports nothing: it only provides a service.
 */
module io.github.microgpt.vector {
    requires io.github.microgpt;
    requires jdk.incubator.vector;

    provides io.github.microgpt.internal.kernels.MatrixKernels
            with io.github.microgpt.vector.VectorMatrixKernels;
    provides io.github.microgpt.internal.kernels.SmallKernels
            with io.github.microgpt.vector.SmallVectorKernels;
}
