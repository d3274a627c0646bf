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
 *
 * <p><b>The listeners' contract</b>, the same for every hook of the library
 * ({@link io.github.microgpt.sample.Sampler}'s token and sample listeners, {@code Trainer}'s position,
 * gradient and step listeners, a model's attention listeners):
 * <ul>
 *   <li>a listener is told synchronously, on the thread that makes the event (the one that calls
 *       {@code step}, {@code sample} or the forward pass), which waits for it to return;</li>
 *   <li>listeners of one kind are told in the order they were added; one added twice hears every
 *       event twice, and each remove takes one registration away;</li>
 *   <li>they may be added and removed from any thread, and from inside a listener: an event goes
 *       to the listeners there were when its telling began, so a change counts from the next
 *       event;</li>
 *   <li>if one throws, the later listeners of that event are not told and the exception reaches
 *       the caller ({@link io.github.microgpt.sample.Sampler}: the token is drawn and the sample
 *       has moved past it);</li>
 *   <li>an event is a value: its array accessors return new copies, so a listener may keep or
 *       change what it reads without another listener seeing it (the events' element readers,
 *       such as {@code probability(tokenId)}, read one number without the copy).</li>
 * </ul>
 */
package io.github.microgpt.sample;
