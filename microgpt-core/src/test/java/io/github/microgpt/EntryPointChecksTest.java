package io.github.microgpt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.autograd.Value;
import io.github.microgpt.model.Architecture;
import io.github.microgpt.model.BigramModel;
import io.github.microgpt.model.Engine;
import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.GptModel;
import io.github.microgpt.model.Precision;
import io.github.microgpt.optim.AdamSettings;
import io.github.microgpt.optim.LearningRateSchedule;
import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.random.PythonRandomState;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.function.Executable;

/**
 * The entry points of the model, random and optim types that {@link NullArgumentsTest} does not
 * list: a null is refused at once with a {@link NullPointerException} whose message is the
 * parameter's name (module-info's first convention), before any other check and before anything
 * changes; and the built-in learning-rate schedules print by name.
 */
class EntryPointChecksTest {

    private static final GptConfig CONFIG = GptConfig.defaults().withNEmbd(4).withNHead(1).withBlockSize(4);

    private record Case(String call, String parameter, Executable executable) {
    }

    @TestFactory
    Stream<DynamicTest> aNullIsNamed() {
        GptModel model = GptModel.create(CONFIG, 3, new PythonRandom(1));
        BigramModel bigram = BigramModel.create(CONFIG, 3, new PythonRandom(1));
        PythonRandom random = new PythonRandom(1);
        List<Case> cases = new ArrayList<>(List.of(
                new Case("GptModel.forward", "cache", () -> model.forward(0, 0, null)),
                // a model without attention refuses a null as any other model does, not as "no attention"
                new Case("BigramModel.addAttentionListener", "listener", () -> bigram.addAttentionListener(null)),
                // the nulls first: the value engine's "f64 only" must not answer for a null config
                new Case("Engine.VALUE.create", "config", () -> Engine.VALUE.create(null, 3, random, Precision.F32)),
                new Case("Engine.VALUE.create", "random", () -> Engine.VALUE.create(CONFIG, 3, null, Precision.F32)),
                new Case("Engine.ARRAY.create", "config", () -> Engine.ARRAY.create(null, 3, random, Precision.F32)),
                new Case("PythonRandom.seed", "seed", () -> random.seed(null)),
                new Case("PythonRandom.restore", "state", () -> random.restore(null)),
                new Case("RandomSource.shuffle", "list", () -> random.shuffle(null)),
                new Case("RandomSource.choice", "weights", () -> random.choice(null)),
                new Case("new PythonRandomState", "words", () -> new PythonRandomState(null, 0, false, 0.0))));
        for (Architecture architecture : Architecture.values()) {
            // BIGRAM's layout and count do not read the config, and took a null without a word
            cases.add(new Case("Architecture." + architecture + ".layout", "config",
                    () -> architecture.layout(null, 3)));
            cases.add(new Case("Architecture." + architecture + ".numParameters", "config",
                    () -> architecture.numParameters(null, 3)));
        }
        return cases.stream().map(c -> DynamicTest.dynamicTest(c.call() + "(null " + c.parameter() + ")", () -> {
            NullPointerException e = assertThrows(NullPointerException.class, c.executable());
            assertEquals(c.parameter(), e.getMessage());
        }));
    }

    @Test
    void aRefusedSeedOrStateLeavesTheGeneratorAsItWas() {
        PythonRandom random = new PythonRandom(7);
        PythonRandom twin = new PythonRandom(7);
        random.gauss(0, 1);
        twin.gauss(0, 1);  // both hold a waiting Gaussian, which a seed would drop
        assertThrows(NullPointerException.class, () -> random.seed((BigInteger) null));
        assertThrows(NullPointerException.class, () -> random.restore(null));
        assertEquals(twin.state(), random.state());
        assertEquals(twin.gauss(0, 1), random.gauss(0, 1));
    }

    @Test
    void valueArithmeticNamesTheNullOperandAndTheOperation() {
        // module-info's conventions promise that Value's arithmetic names the operation and the
        // parameter (ValueRefusalsTest covers every operation)
        NullPointerException e = assertThrows(NullPointerException.class, () -> new Value(1).add((Value) null));
        assertTrue(e.getMessage().startsWith("Value.add(other): other is null"), e.getMessage());
    }

    @Test
    void theBuiltInSchedulesPrintByName() {
        assertEquals("LINEAR_DECAY", LearningRateSchedule.LINEAR_DECAY.toString());
        assertEquals("CONSTANT", LearningRateSchedule.CONSTANT.toString());
        assertEquals("AdamSettings[learningRate=0.01, beta1=0.85, beta2=0.99, eps=1.0E-8, schedule=LINEAR_DECAY]",
                AdamSettings.defaults().toString());
        // and they compute what they did as lambdas
        assertEquals(0.01 * (1 - 3.0 / 10), LearningRateSchedule.LINEAR_DECAY.rate(0.01, 3, 10));
        assertEquals(0.01, LearningRateSchedule.CONSTANT.rate(0.01, 9, 10));
    }
}
