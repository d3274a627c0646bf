/**
 * Randomness: the {@link io.github.microgpt.random.RandomSource} interface and
 * {@link io.github.microgpt.random.PythonRandom}, a bit-exact port of CPython's {@code random}.
 * A {@link io.github.microgpt.random.PythonRandomState} is a generator's whole state, as Python's
 * {@code random.getstate()}: saved and restored, it continues the same draws (a checkpoint keeps
 * one). A generator is not thread-safe; one run uses one, in the order of {@code microgpt.py}:
 * the shuffle, the initial weights, the samples.
 */
package io.github.microgpt.random;
