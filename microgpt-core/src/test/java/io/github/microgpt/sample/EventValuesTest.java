package io.github.microgpt.sample;

import static io.github.microgpt.testing.Values.assertSameValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/**
 * The sampler's events are values (equal when made from the same numbers, printed with their
 * arrays' elements) and refuse a null component at once, naming it.
 */
class EventValuesTest {

    @Test
    void eventsMadeFromTheSameNumbersAreEqualAndPrintTheirNumbers() {
        int[] context = {26, 0};
        double[] probabilities = {0.25, 0.75};
        assertSameValue(new TokenEvent(1, 1, context, probabilities, 0),
                new TokenEvent(1, 1, context.clone(), probabilities.clone(), 0),
                new TokenEvent(1, 1, context, new double[] {0.75, 0.25}, 0),
                "TokenEvent[sampleNumber=1, posId=1, context=[26, 0], probabilities=[0.25, 0.75], tokenId=0]");
        assertSameValue(new SampleEvent(3, "ab", new int[] {0, 1}),
                new SampleEvent(3, "ab", new int[] {0, 1}),
                new SampleEvent(3, "ab", new int[] {0, 2}),
                "SampleEvent[sampleNumber=3, text=ab, tokens=[0, 1]]");
    }

    @Test
    void theEventsKeepTheirOwnCopies() {
        int[] tokens = {0, 1};
        SampleEvent event = new SampleEvent(1, "ab", tokens);
        tokens[0] = 7;
        assertEquals(0, event.tokens()[0]);
    }

    @Test
    void aListenerThatChangesAnArrayItReadChangesNoOtherListenersEvent() {
        SampleEvent sample = new SampleEvent(1, "ab", new int[] {0, 1});
        sample.tokens()[0] = 7;
        assertEquals(0, sample.tokens()[0]);
        TokenEvent token = new TokenEvent(1, 1, new int[] {26, 0}, new double[] {0.25, 0.75}, 0);
        token.context()[0] = 7;
        token.probabilities()[0] = 1.0;
        assertEquals(26, token.context()[0]);
        assertEquals(0.25, token.probabilities()[0]);
        assertEquals(0.25, token.probability(0), "one probability, read without a copy");
        assertThrows(IndexOutOfBoundsException.class, () -> token.probability(2));
    }

    @Test
    void eventsNameTheirNullComponent() {
        int[] ints = {1, 2};
        double[] doubles = {0.5, 0.5};
        assertEquals("text", assertThrows(NullPointerException.class, () -> new SampleEvent(1, null, ints)).getMessage());
        assertEquals("tokens", assertThrows(NullPointerException.class, () -> new SampleEvent(1, "ab", null)).getMessage());
        assertEquals("context",
                assertThrows(NullPointerException.class, () -> new TokenEvent(1, 1, null, doubles, 0)).getMessage());
        assertEquals("probabilities",
                assertThrows(NullPointerException.class, () -> new TokenEvent(1, 1, ints, null, 0)).getMessage());
    }
}
