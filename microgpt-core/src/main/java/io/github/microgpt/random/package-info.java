/**
 * Randomness: the {@link io.github.microgpt.random.RandomSource} interface and
 * {@link io.github.microgpt.random.PythonRandom}, a bit-exact port of CPython's {@code random}.
 */
package io.github.microgpt.random;
