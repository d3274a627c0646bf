/**
 * Generation: the {@link io.github.microgpt.sample.Sampler}, which draws text one token at a time
 * as {@code microgpt.py} does, with {@link io.github.microgpt.sample.SamplingOptions} (temperature,
 * prefix, top-k, maximum length), and the events its listeners receive
 * ({@link io.github.microgpt.sample.TokenEvent}, {@link io.github.microgpt.sample.SampleEvent}).
 * {@link io.github.microgpt.sample.NextToken} shows, without drawing, what a model expects after a
 * prefix.
 *
 * <p>The events and {@link io.github.microgpt.sample.NextToken.Candidate} are made by the library
 * only: final classes read by their accessors, with no public constructor, so that a later release
 * can add an accessor without breaking a program. {@code SamplingOptions}, which a program makes,
 * is a record, whose components change only in a major release.
 */
package io.github.microgpt.sample;
