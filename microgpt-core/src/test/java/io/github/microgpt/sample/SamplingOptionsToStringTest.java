package io.github.microgpt.sample;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * {@link SamplingOptions#toString()} says what its 0 sentinels mean: a record's own print showed
 * {@code topK=0, prefix=, maxLength=0}, which reads as "keep no token, stop at once".
 */
class SamplingOptionsToStringTest {

    @Test
    void theDefaultsPrintAllTokensNoLimitAndAnEmptyQuotedPrefix() {
        assertEquals("SamplingOptions[temperature=0.5, topK=all, prefix=\"\", maxLength=none]",
                SamplingOptions.defaults().toString());
    }

    @Test
    void setOptionsPrintTheirNumbersAndPrefix() {
        SamplingOptions options = SamplingOptions.defaults().withTemperature(0.8).withTopK(5).withPrefix("ma")
                .withMaxLength(8);
        assertEquals("SamplingOptions[temperature=0.8, topK=5, prefix=\"ma\", maxLength=8]", options.toString());
    }

    @Test
    void aKOfOneAndALengthOfOneAreNotTakenForTheSentinels() {
        SamplingOptions options = SamplingOptions.defaults().withTopK(1).withMaxLength(1);
        assertEquals("SamplingOptions[temperature=0.5, topK=1, prefix=\"\", maxLength=1]", options.toString());
    }
}
