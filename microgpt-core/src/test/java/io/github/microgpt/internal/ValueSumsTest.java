package io.github.microgpt.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.autograd.Value;
import org.junit.jupiter.api.Test;

/**
 * {@link ValueSums}, the door through which {@code ValueOps} makes {@code Value}'s compact sums of
 * products: public, so reachable by anyone on the class path, and so it lets only {@code Value}
 * through, once.
 */
class ValueSumsTest {

    /**
     * A class-path program's own sums. Before the guard it could be made and installed before the
     * first {@code Value} was: {@code ValueOps} then built its nodes, and {@code Value} failed to
     * initialise ("installed already").
     */
    private static final class Foreign extends ValueSums {
        @Override
        public Value sumOfProducts(Value[] a, int aFrom, Value[] b, int bFrom, int length) {
            return new Value(0.0);
        }

        @Override
        public Value[] sumsOfProducts(Value[][] w, Value[] x) {
            return new Value[w.length];
        }

        @Override
        public Value logOfProbability(Value p) {
            return new Value(0.0);
        }

        @Override
        public boolean beginOwnedRows() {
            return false;
        }

        @Override
        public void endOwnedRows(boolean began) {
        }
    }

    @Test
    void onlyValueMakesTheSums() {
        IllegalStateException e = assertThrows(IllegalStateException.class, Foreign::new);
        assertTrue(e.getMessage().contains(Foreign.class.getName()), e.getMessage());
        assertTrue(e.getMessage().startsWith("only Value's own class"), e.getMessage());
    }

    @Test
    void theSumsAreValuesOwnAndInstalledOnce() {
        ValueSums sums = ValueSums.get();
        assertEquals(Value.class, sums.getClass().getNestHost());
        IllegalStateException again = assertThrows(IllegalStateException.class, () -> ValueSums.set(sums));
        assertEquals("the sums of products are installed already", again.getMessage());
        NullPointerException none = assertThrows(NullPointerException.class, () -> ValueSums.set(null));
        assertEquals("sums", none.getMessage());
        assertSame(sums, ValueSums.get(), "still Value's own");
    }

    /**
     * {@code get()} during {@code Value}'s own initialiser (a static field of {@code Value} that
     * used {@code ValueOps}, which no code does today) finds nothing installed yet: it returned
     * null, which failed later, at the first forward pass, far from the cause.
     */
    @Test
    void nothingInstalledYetFailsClearly() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> ValueSums.installed(null));
        assertTrue(e.getMessage().contains("while Value was being initialised"), e.getMessage());
        ValueSums sums = ValueSums.get();
        assertSame(sums, ValueSums.installed(sums));
    }
}
