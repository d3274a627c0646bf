/**
 * Generation: the {@link io.github.microgpt.sample.Sampler} and the events its listeners receive.
 */
package io.github.microgpt.sample;
