/**
 * Internal: the service through which an optional module computes the array engine's matrix
 * products, and the rule by which both sides count the memory of arrays ({@link
 * io.github.microgpt.internal.kernels.ArrayBytes}). Do not use.
 *
 * <p>{@code module-info} exports this package to {@code io.github.microgpt.vector} only (the
 * Vector API kernels), and {@code io.github.microgpt.model.ArrayKernels} looks the service up once
 * with {@link java.util.ServiceLoader}. It may change in any release, with the module that
 * implements it.
 */
package io.github.microgpt.internal.kernels;
