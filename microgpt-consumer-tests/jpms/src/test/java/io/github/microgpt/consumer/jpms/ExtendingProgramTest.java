package io.github.microgpt.consumer.jpms;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The extension points and the resume protocol, used from another module: what a program plugs
 * in must be reachable through the exports alone (the protected members of ValueLanguageModel, a
 * RandomSource, a LearningRateSchedule), and a run saved and resumed in such a program continues
 * bit for bit.
 */
class ExtendingProgramTest {

    @Test
    void aModelAndARandomSourceOfTheProgramsOwnTrainAndSample() {
        ExtendingProgram.OwnModelRun run = ExtendingProgram.trainOwnModel(300);
        assertTrue(run.lastLoss() < run.firstLoss(), run.toString());
        assertEquals(5, run.names().size());
        run.names().forEach(name -> assertTrue(name.matches("[a-z]{0,16}"), name));
    }

    @Test
    void aRunWithAScheduleOfItsOwnResumesFromItsRecordedSourceBitForBit(@TempDir Path dir) throws Exception {
        ExtendingProgram.ResumeRun run = ExtendingProgram.saveAndResume(dir.resolve("run"), 12, 5);
        assertEquals(12, run.resumed().length);
        assertTrue(run.exact(), Arrays.toString(run.uninterrupted()) + "\n" + Arrays.toString(run.resumed()));
    }
}
