package io.github.microgpt.testsupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link Together}'s arguments: with no thread or no round it ran nothing and returned empty
 * lists, so a test that asked for 0 threads by mistake checked nothing and passed; a negative
 * count reached {@code new Phaser(-1)}, whose message names neither the argument nor the rule.
 */
class TogetherTest {

    @Test
    void runsEveryThreadForEveryRound() throws InterruptedException {
        assertEquals(List.of(List.of("0 0", "0 1"), List.of("1 0", "1 1"), List.of("2 0", "2 1")),
                Together.run(3, 2, 60, (thread, round) -> thread + " " + round));
    }

    @Test
    void noThreadNoRoundOrNoTimeIsRefusedWithTheRule() {
        assertEquals("threads must be at least 1, got 0", assertThrows(IllegalArgumentException.class,
                () -> Together.run(0, 2, 60, (thread, round) -> round)).getMessage());
        assertEquals("threads must be at least 1, got -1", assertThrows(IllegalArgumentException.class,
                () -> Together.run(-1, 2, 60, (thread, round) -> round)).getMessage());
        assertEquals("rounds must be at least 1, got 0", assertThrows(IllegalArgumentException.class,
                () -> Together.run(2, 0, 60, (thread, round) -> round)).getMessage());
        assertEquals("timeoutSeconds must be at least 1, got 0", assertThrows(IllegalArgumentException.class,
                () -> Together.run(2, 2, 0, (thread, round) -> round)).getMessage());
    }
}
