package io.github.microgpt.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * {@link AdamSettings} prints as a record does, but names a lambda schedule by the class it was
 * written in: the record's own {@code toString} printed the lambda's, an address such as
 * {@code AdamSettingsPrintTest$$Lambda$14/0x0000000801001c00@5a2e4553} that changes from run to run.
 */
class AdamSettingsPrintTest {

    @Test
    void theDefaultsPrintTheirScheduleByName() {
        assertEquals("AdamSettings[learningRate=0.01, beta1=0.85, beta2=0.99, eps=1.0E-8, schedule=LINEAR_DECAY]",
                AdamSettings.defaults().toString());
    }

    @Test
    void aLambdaScheduleIsNamedByItsClass() {
        AdamSettings settings = AdamSettings.defaults().withLearningRate(0.02).withSchedule((rate, step, total) -> rate);
        assertEquals("AdamSettings[learningRate=0.02, beta1=0.85, beta2=0.99, eps=1.0E-8, schedule=a lambda written in"
                + " io.github.microgpt.optim.AdamSettingsPrintTest]", settings.toString());
    }

    /** A schedule of a class of its own prints as its own toString does. */
    @Test
    void aScheduleClassPrintsItself() {
        LearningRateSchedule halves = new LearningRateSchedule() {
            @Override
            public double rate(double learningRate, int step, int totalSteps) {
                return learningRate / 2;
            }

            @Override
            public String toString() {
                return "halves";
            }
        };
        assertEquals("AdamSettings[learningRate=0.01, beta1=0.85, beta2=0.99, eps=1.0E-8, schedule=halves]",
                AdamSettings.defaults().withSchedule(halves).toString());
    }
}
