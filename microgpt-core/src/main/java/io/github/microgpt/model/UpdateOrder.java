package io.github.microgpt.model;

import java.util.List;

/**
 * The order in which the optimizer updates the rows of an array model's parameters when the
 * model's steps run on several threads ({@code ParameterRows#updateOrder}). Adam is
 * element-wise, so the order changes no bit of the result; it changes how much the two cores
 * of a step get in each other's way.
 *
 * <p><b>Why an order at all.</b> On the two-core machines this project is measured on, handing
 * a cache line from one core to the other costs 250-450 ns, and writing a line that the other
 * core has read, even long ago and since evicted, costs about twice writing a line only this
 * core has touched (the processor's directory still lists the other core and asks it first).
 * The forward and backward passes read every weight on both cores (the core's products split
 * by positions) or half of each row on each (microgpt-vector's backward splits by columns), so
 * Adam's writes of the weights pay that price: measured at {@code nEmbd} 256, 4 layers, block
 * 64, Adam took 2.5-2.9 ms on two threads alone and 5.4-5.8 ms right after both threads had
 * read the weights. The price cannot be avoided here, but where and when each row is written
 * changes it:
 *
 * <ul>
 *   <li>Each thread updates, in every matrix, the same share of rows as the products give it:
 *       thread {@code k} of {@code T} the rows {@code [R k / T, R (k + 1) / T)}, as the
 *       weights' gradient of the backward pass and the vector module's forward product are
 *       split. The gradient rows a thread reads were then written by itself, and the weight
 *       rows it writes are (in the forward pass) read by itself.</li>
 *   <li>The matrices are visited last layer first, the order in which the backward pass left
 *       them: the rows the other core touched longest ago come first, and by the time a thread
 *       reaches the first layer (which the backward pass touched last) the other core has
 *       streamed its own share through its caches.</li>
 *   <li>Within a matrix, the rows are visited from the last of the share to the first: the
 *       reverse of the products' own order.</li>
 * </ul>
 *
 * <p>Against row order, with each thread a contiguous half of all rows: Adam's time on two
 * threads in a real step 0.75-0.98 (four configurations: core's loops and microgpt-vector,
 * double and single precision); on one thread nothing changes (the rows stay in row order).
 */
final class UpdateOrder {

    private UpdateOrder() {
    }

    /**
     * The rows in update order for a team of {@code threads}, part by part (part {@code k} is
     * about the {@code k}-th of {@code threads} equal shares of the loop, the share the team
     * gives thread {@code k}), or null on one thread, where row order is best.
     *
     * @param matrices the matrices, in layout order
     * @param firstRow the index of each matrix's first row
     * @param rows the number of rows
     * @param threads the team's threads
     * @return a permutation of {@code [0, rows)}, or null
     */
    static int[] of(List<MatrixLayout> matrices, int[] firstRow, int rows, int threads) {
        if (threads <= 1) {
            return null;
        }
        int[] order = new int[rows];
        int at = 0;
        for (int k = 0; k < threads; k++) {
            for (int m = matrices.size() - 1; m >= 0; m--) {
                int count = matrices.get(m).rows();
                int r0 = firstRow[m] + (int) ((long) count * k / threads);
                int r1 = firstRow[m] + (int) ((long) count * (k + 1) / threads);
                for (int r = r1 - 1; r >= r0; r--) {
                    order[at++] = r;
                }
            }
        }
        return order;
    }
}
