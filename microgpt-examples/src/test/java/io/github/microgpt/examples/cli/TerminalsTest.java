package io.github.microgpt.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** Telling a terminal from a pipe or a file by the target of {@code /proc/self/fd/N}. */
class TerminalsTest {

    @Test
    void terminalDevicesAreTerminals() {
        for (String device : new String[] {"/dev/pts/0", "/dev/pts/17", "/dev/tty", "/dev/tty1", "/dev/ttyS0",
            "/dev/console"}) {
            assertTrue(Terminals.isTerminalDevice(device), device);
        }
    }

    @Test
    void pipesFilesAndSocketsAreNot() {
        for (String target : new String[] {"pipe:[123456]", "socket:[42]", "/dev/null", "/tmp/log.txt",
            "/home/me/dev/pts/1", "anon_inode:[eventfd]"}) {
            assertFalse(Terminals.isTerminalDevice(target), target);
        }
    }

    @Test
    void aDescriptorThatIsNotOpenIsNoTerminal() {
        assertNull(Terminals.deviceOf(987_654));
    }

    @Test
    void theContextComparesTheTwoTerminals() {
        CliContext same = new CliContext(System.out, System.err, Map.of(), "/dev/pts/2", "/dev/pts/2");
        CliContext different = new CliContext(System.out, System.err, Map.of(), "/dev/pts/2", "/dev/pts/3");
        CliContext redirected = new CliContext(System.out, System.err, Map.of(), null, null);

        assertTrue(same.outputSharesTerminalWithErr());
        assertFalse(different.outputSharesTerminalWithErr());
        assertTrue(different.stderrIsTerminal());
        assertFalse(redirected.outputSharesTerminalWithErr());
        assertFalse(redirected.stderrIsTerminal());
        assertEquals(Map.of(), redirected.environment());
    }
}
