/**
 * Generation: the {@link io.github.microgpt.sample.Sampler}, which draws text one token at a time
 * as {@code microgpt.py} does, with {@link io.github.microgpt.sample.SamplingOptions} (temperature,
 * prefix, top-k, maximum length), and the events its listeners receive
 * ({@link io.github.microgpt.sample.TokenEvent}, {@link io.github.microgpt.sample.SampleEvent}).
 * {@link io.github.microgpt.sample.NextToken} shows, without drawing, what a model expects after a
 * prefix.
 */
package io.github.microgpt.sample;
