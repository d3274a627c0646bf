package io.github.microgpt.vector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.internal.kernels.Team;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What {@link SlicedBackward} hands its products, seen through a recording
 * {@link SlicedBackward.Products} and teams that cut the loop over units in different ways (one
 * chunk, a unit at a time, uneven chunks, chunks taken back to front as a thief takes them): every
 * column of each half is summed once over that half's rows, every row of the weights' gradient
 * once, whatever the cut (so no sum depends on the threads); a chunk's units are one call per half
 * for its blocks and, without an update, one for its slices (the chunks that replaced a call per
 * unit); with an update inside, every slice is updated once, over the rows its gradient summed,
 * after all of its half's blocks; each block's halves are added once, after both.
 */
class SlicedBackwardTest {

    /** The whole loop as one chunk. */
    private static final Team ONE = (count, grain, task) -> task.run(0, count);

    /** A unit at a time, in order. */
    private static final Team UNITS = (count, grain, task) -> {
        for (int i = 0; i < count; i++) {
            task.run(i, i + 1);
        }
    };

    /** Chunks of 1, 2, 3, ... units, in order. */
    private static final Team UNEVEN = (count, grain, task) -> {
        for (int i = 0, size = 1; i < count; i += size, size++) {
            task.run(i, Math.min(count, i + size));
        }
    };

    /** Chunks of three units from the back, as a thread done early takes the other's. */
    private static final Team FROM_THE_BACK = (count, grain, task) -> {
        for (int end = count; end > 0; end -= 3) {
            task.run(Math.max(0, end - 3), end);
        }
    };

    private static final Map<String, Team> TEAMS = Map.of("one", ONE, "units", UNITS, "uneven", UNEVEN,
            "fromTheBack", FROM_THE_BACK);

    /** What the products and the update were asked, in order. */
    private static final class Recorder implements SlicedBackward.Products<double[][]> {
        final List<int[]> blocks = new ArrayList<>();
        final List<int[]> gradients = new ArrayList<>();
        final List<int[]> updates = new ArrayList<>();
        final List<int[]> sums = new ArrayList<>();
        /** The blocks' calls and the updates, in the order they came. */
        final List<String> events = new ArrayList<>();

        @Override
        public void block(int half, int o0, int o1, int j0, int j1) {
            blocks.add(new int[] {half, o0, o1, j0, j1});
            events.add("block " + half + " " + j0 + " " + j1);
        }

        @Override
        public void gradient(double[][] c, int r0, int r1, boolean cleared) {
            gradients.add(new int[] {r0, r1});
        }

        @Override
        public void addHalves(int j0, int j1) {
            sums.add(new int[] {j0, j1});
            events.add("add " + j0 + " " + j1);
        }

        Team.Range update() {
            return (r0, r1) -> {
                updates.add(new int[] {r0, r1});
                events.add("update " + r0 + " " + r1);
            };
        }
    }

    /** A shape of the product and how it is cut: the rows' middle and blocks as the kernels choose them. */
    private record Shape(int rows, int cols, int block, int transposedRows) {
        int middle() {
            return rows / 2 / transposedRows * transposedRows;
        }
    }

    private static final List<Shape> SHAPES = List.of(new Shape(768, 256, 32, 4), new Shape(256, 1024, 32, 4),
            new Shape(100, 72, 16, 6), new Shape(37, 200, 64, 4), new Shape(6, 40, 16, 6), new Shape(2, 8, 32, 4));

    private static Recorder run(Team team, Shape s, boolean apart, boolean withUpdate) {
        Recorder recorder = new Recorder();
        SlicedBackward.run(team, s.rows(), s.cols(), s.block(), s.middle(), s.transposedRows(), apart, Double.BYTES,
                withUpdate ? recorder.update() : null, new double[0][], false, SlicedBackward.SliceScratch.DOUBLES,
                recorder);
        return recorder;
    }

    /** Each half's columns once, over the half's rows, in whole blocks; every row of the gradient once. */
    private static void assertCoveredOnce(Shape s, Recorder r, String what) {
        int[][] columns = new int[2][s.cols()];
        for (int[] b : r.blocks) {
            int half = b[0];
            assertEquals(half == 0 ? 0 : s.middle(), b[1], what + ": the half's first row");
            assertEquals(half == 0 ? s.middle() : s.rows(), b[2], what + ": the half's last row");
            assertEquals(0, b[3] % s.block(), what + ": a block's first column");
            assertTrue(b[4] == s.cols() || b[4] % s.block() == 0, what + ": a block's end");
            for (int j = b[3]; j < b[4]; j++) {
                columns[half][j]++;
            }
        }
        for (int half = 0; half < 2; half++) {
            for (int j = 0; j < s.cols(); j++) {
                assertEquals(1, columns[half][j], what + ": half " + half + ", column " + j);
            }
        }
        int[] rows = new int[s.rows()];
        for (int[] g : r.gradients) {
            assertTrue(g[0] < g[1], what + ": an empty slice was handed out");
            boolean first = g[0] < s.middle();
            int o0 = first ? 0 : s.middle();
            assertTrue(g[1] <= (first ? s.middle() : s.rows()), what + ": rows of both halves in one call");
            assertEquals(0, (g[0] - o0) % s.transposedRows(), what + ": a slice's first row");
            for (int o = g[0]; o < g[1]; o++) {
                rows[o]++;
            }
        }
        for (int o = 0; o < s.rows(); o++) {
            assertEquals(1, rows[o], what + ": row " + o);
        }
    }

    @Test
    void everyColumnAndEveryRowIsSummedOnceWhateverTheCut() {
        for (Shape s : SHAPES) {
            for (boolean apart : new boolean[] {false, true}) {
                for (Map.Entry<String, Team> team : TEAMS.entrySet()) {
                    String what = s + " apart=" + apart + " team=" + team.getKey();
                    assertCoveredOnce(s, run(team.getValue(), s, apart, false), what);
                    if (apart) {
                        assertCoveredOnce(s, run(team.getValue(), s, true, true), what + " with the update");
                    }
                }
            }
        }
    }

    /**
     * One chunk of the whole loop is one call per half for its blocks and one for its slices:
     * with a call per unit, a product 256 columns wide in blocks of 32 took eight of each a half.
     */
    @Test
    void aChunkIsOneCallPerHalfForItsBlocksAndOneForItsSlices() {
        for (Shape s : SHAPES) {
            for (boolean apart : new boolean[] {false, true}) {
                Recorder r = run(ONE, s, apart, false);
                String what = s + " apart=" + apart;
                assertEquals(2, r.blocks.size(), what + ": block calls");
                long halvesWithRows = s.middle() > 0 ? 2 : 1;
                assertEquals(halvesWithRows, r.gradients.size(), what + ": gradient calls");
            }
        }
        // 8 units a half (a block and a slice each), taken three at a time from the back: [13, 16),
        // [10, 13), [7, 10) (units of both halves: a call for each), [4, 7), [1, 4), [0, 1).
        Shape s = SHAPES.get(0);
        Recorder r = run(FROM_THE_BACK, s, false, false);
        assertEquals(7, r.blocks.size(), "block calls");
        assertEquals(7, r.gradients.size(), "gradient calls");
    }

    /** With the update inside: each slice once, over its gradient's rows, after all of its half's blocks. */
    @Test
    void eachSliceIsUpdatedOnceAfterItsHalfsBlocks() {
        for (Shape s : SHAPES) {
            for (Map.Entry<String, Team> team : TEAMS.entrySet()) {
                String what = s + " team=" + team.getKey();
                Recorder r = run(team.getValue(), s, true, true);
                assertEquals(r.gradients.size(), r.updates.size(), what + ": one update a summed slice");
                List<String> updated = new ArrayList<>();
                for (int[] u : r.updates) {
                    updated.add(u[0] + " " + u[1]);
                }
                for (int[] g : r.gradients) {
                    assertTrue(updated.remove(g[0] + " " + g[1]), what + ": slice " + g[0] + ".." + g[1]);
                }
                int blocks = (s.cols() + s.block() - 1) / s.block();
                for (int i = 0; i < r.events.size(); i++) {
                    String[] e = r.events.get(i).split(" ");
                    if (e[0].equals("update")) {
                        int half = Integer.parseInt(e[1]) < s.middle() ? 0 : 1;
                        int columns = 0;
                        for (String before : r.events.subList(0, i)) {
                            String[] b = before.split(" ");
                            if (b[0].equals("block") && Integer.parseInt(b[1]) == half) {
                                columns += Integer.parseInt(b[3]) - Integer.parseInt(b[2]);
                            }
                        }
                        assertEquals(s.cols(), columns, what + ": an update before its half's " + blocks
                                + " blocks were done");
                    }
                }
            }
        }
    }

    /**
     * The second half's sums of each block of columns are added to the first's once, inside the
     * loop, right after the later of the block's two halves (no separate pass over the input's
     * gradient after it): every column in exactly one call of {@code addHalves}, each call after
     * both halves' blocks of its columns, whatever the cut and with or without an update inside.
     */
    @Test
    void eachBlocksHalvesAreAddedOnceAfterBoth() {
        for (Shape s : SHAPES) {
            for (boolean apart : new boolean[] {false, true}) {
                for (Map.Entry<String, Team> team : TEAMS.entrySet()) {
                    for (boolean withUpdate : apart ? new boolean[] {false, true} : new boolean[] {false}) {
                        String what = s + " apart=" + apart + " update=" + withUpdate + " team=" + team.getKey();
                        Recorder r = run(team.getValue(), s, apart, withUpdate);
                        int[] added = new int[s.cols()];
                        int[][] summed = new int[2][s.cols()];
                        for (String event : r.events) {
                            String[] e = event.split(" ");
                            if (e[0].equals("block")) {
                                int half = Integer.parseInt(e[1]);
                                for (int j = Integer.parseInt(e[2]); j < Integer.parseInt(e[3]); j++) {
                                    summed[half][j]++;
                                }
                            } else if (e[0].equals("add")) {
                                for (int j = Integer.parseInt(e[1]); j < Integer.parseInt(e[2]); j++) {
                                    assertEquals(1, summed[0][j], what + ": column " + j + " added before the first half's block");
                                    assertEquals(1, summed[1][j], what + ": column " + j + " added before the second half's block");
                                    added[j]++;
                                }
                            }
                        }
                        for (int j = 0; j < s.cols(); j++) {
                            assertEquals(1, added[j], what + ": column " + j + " added");
                        }
                    }
                }
            }
        }
    }

    /**
     * A thread's slice scratch keeps rows exactly as wide as each product's slices, one array per
     * width, grown only in its number of rows: a 256-wide slice after a 1024-wide one gets back
     * its own rows, not the first quarter of rows 1024 wide (which would sit 4 KB or 8 KB apart,
     * in the same sets of the first-level cache).
     */
    @Test
    void theSliceScratchKeepsRowsOfEachWidth() {
        SlicedBackward.SliceScratch<double[][]> scratch = SlicedBackward.SliceScratch.DOUBLES.get();
        // Widths no other test of this thread asks for.
        double[][] narrow = scratch.rows(16, 264);
        assertEquals(264, narrow[0].length, "the first width's rows");
        double[][] wide = scratch.rows(4, 1032);
        assertEquals(1032, wide[0].length, "the second width's rows");
        assertTrue(narrow == scratch.rows(8, 264), "the first width's rows again, fewer of them");
        double[][] more = scratch.rows(20, 264);
        assertTrue(more.length >= 20, "grown to 20 rows");
        assertEquals(264, more[0].length, "grown in rows, not in width");
        assertTrue(wide == scratch.rows(4, 1032), "the second width's rows, untouched by the first's growth");
        double[][] view = scratch.view(40, 8, 12);
        assertTrue(wide[0] == view[8], "the view points at the rows given out last");
    }

    /**
     * Units of a block and a slice each (not apart: a product without an update, in double
     * precision or with 16 registers) leave no slice free before the blocks, so an update inside
     * them is refused, saying why.
     */
    @Test
    void anUpdateInsideIsRefusedWithoutApartUnits() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> run(ONE, SHAPES.get(0), false, true));
        assertEquals("an update inside the product needs its units apart", e.getMessage());
    }

    /** Products that do nothing, to count what {@link SlicedBackward#run} itself allocates. */
    private static final SlicedBackward.Products<double[][]> NOTHING = new SlicedBackward.Products<>() {
        @Override
        public void block(int half, int o0, int o1, int j0, int j1) {
        }

        @Override
        public void gradient(double[][] c, int r0, int r1, boolean cleared) {
        }

        @Override
        public void addHalves(int j0, int j1) {
        }
    };

    /** The heap this thread allocates over {@code calls} runs of shape {@code s} with an update inside, a call. */
    private static long bytesPerRun(Shape s, int calls) throws ReflectiveOperationException {
        Team.Range update = (r0, r1) -> { };
        long before = NoFallbackTest.allocated();
        for (int i = 0; i < calls; i++) {
            SlicedBackward.run(ONE, s.rows(), s.cols(), s.block(), s.middle(), s.transposedRows(), true, Double.BYTES,
                    update, new double[0][], false, SlicedBackward.SliceScratch.DOUBLES, NOTHING);
        }
        return (NoFallbackTest.allocated() - before) / calls;
    }

    /**
     * The counters of a product (how many halves of each block are done, the state of each slice)
     * are the calling thread's, cleared for each product, not made anew: they were some 400 bytes
     * of every backward product, half of what a step at {@code nEmbd} 256 allocated with these
     * kernels. What a call still allocates (the loop's task) does not grow with the product: the
     * same few bytes at 768 x 256 as at 6 x 40. Counted, not timed: the bytes this thread
     * allocated (HotSpot's count), which the JIT can only lower (by escape analysis).
     */
    @Test
    void aProductsCountersAreKeptNotMadeForEachCall() throws ReflectiveOperationException {
        Shape large = SHAPES.get(0);
        Shape small = SHAPES.get(4);
        // The first calls grow the thread's counters to the largest shape.
        bytesPerRun(large, 100);
        bytesPerRun(small, 100);
        long largeBytes = bytesPerRun(large, 2000);
        long smallBytes = bytesPerRun(small, 2000);
        assertTrue(largeBytes <= 128, "bytes a call at " + large + ": " + largeBytes);
        assertTrue(largeBytes <= smallBytes, "bytes a call at " + large + " (" + largeBytes + ") against "
                + small + " (" + smallBytes + ")");
    }
}
