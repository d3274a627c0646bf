package io.github.microgpt.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.text.VisibleText;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Telling a terminal from a pipe or a file by the target of {@code /proc/self/fd/N}; the
 * characters that must not reach a terminal's line as they are.
 */
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

    @Test
    void lineBreaksEscapesAndBidiControlsDisturbALine() {
        for (char c : new char[] {'\n', '\r', '\t', 0, 0x1B, 0x7F, 0x85, 0x9B, 0x2028, 0x2029,
            0x061C, 0x200E, 0x200F, 0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069}) {
            assertTrue(Terminals.disturbsALine(c), String.format(Locale.ROOT, "U+%04X", (int) c));
        }
        // Letters of every script print as they are, right-to-left ones too; so do the invisible
        // spaces and joiners, which move nothing.
        for (char c : new char[] {'a', ' ', '~', 0xA0, 0xE9, 0x05D0, 0x0627, 0x200B, 0x200D, 0x2027, 0x202F,
            0x2065, 0x206A, 0x3000, 0xFEFF}) {
            assertFalse(Terminals.disturbsALine(c), String.format(Locale.ROOT, "U+%04X", (int) c));
        }
    }

    @Test
    void escapingWritesEachSuchCharacterAsAJavaEscape() {
        assertEquals("ev\\u202Elit.txt", Terminals.escapeControls("ev\u202Elit.txt"));
        assertEquals("a\\u000Ab\\u001B[31m\\u2028c zo\u00eb \u05e9\u05dc\u05d5\u05dd",
                Terminals.escapeControls("a\nb\u001b[31m\u2028c zo\u00eb \u05e9\u05dc\u05d5\u05dd"));
        assertEquals("", Terminals.escapeControls(""));
    }

    /**
     * Every character kept off a line of output is one that messages show escaped too
     * ({@link VisibleText}, the rule of every message of the command line and the simulator).
     */
    @Test
    void whatDisturbsALineIsHiddenInMessagesToo() {
        for (int c = 0; c <= Character.MAX_VALUE; c++) {
            if (Terminals.disturbsALine((char) c)) {
                assertTrue(VisibleText.isHidden(c), String.format(Locale.ROOT, "U+%04X", c));
                String one = String.valueOf((char) c);
                assertEquals(Terminals.escapeControls(one), VisibleText.escape(one));
            }
        }
    }
}
