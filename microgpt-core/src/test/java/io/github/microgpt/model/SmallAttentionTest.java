package io.github.microgpt.model;

import static io.github.microgpt.testsupport.Bits.assertBits;
import static io.github.microgpt.testsupport.Matrices.copy;
import static io.github.microgpt.testsupport.Matrices.uniform;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link SmallAttention}, the attention for heads of four channels, against the general loops of
 * {@link Kernels} bit for bit: forward (outputs, attention weights, the transposed key cache) and
 * backward (the gradients of queries, keys and values, added to what was there), for one to five
 * heads, ranges that start at 0 and ranges that continue a cache, as generation does.
 */
class SmallAttentionTest {

    private static final int T = 16;

    @Test
    void takesHeadsOfFourChannelsOnly() {
        assertTrue(SmallAttention.fits(16, 4));
        assertTrue(SmallAttention.fits(4, 1));
        assertFalse(SmallAttention.fits(16, 2));
        assertFalse(SmallAttention.fits(256, 8));
    }

    @Test
    void forwardAndBackwardAreTheGeneralLoopsBitForBit() {
        SplittableRandom random = new SplittableRandom(20261202L);
        for (int nHead = 1; nHead <= 5; nHead++) {
            int c = 4 * nHead;
            double scale = Math.pow(Math.pow(4, 0.5), -1);
            for (int[] range : new int[][] {{0, 1}, {0, 7}, {0, 16}, {3, 9}, {15, 16}}) {
                int from = range[0];
                int to = range[1];
                double[][] qkv = uniform(random, T, 3 * c, 2.0);
                double[][] keysT = uniform(random, c, T, 1.0);
                double[][] keysT2 = copy(keysT);
                // The cache of the positions before `from`, as an earlier call leaves it.
                for (int i = 0; i < c; i++) {
                    for (int t = 0; t < from; t++) {
                        keysT[i][t] = qkv[t][c + i];
                        keysT2[i][t] = qkv[t][c + i];
                    }
                }
                double[][] out = uniform(random, T, c, 1.0);
                double[][] out2 = copy(out);
                double[][][] weights = new double[T][nHead][T];
                double[][][] weights2 = new double[T][nHead][T];
                Kernels.attentionForwardByHeads(out, weights, qkv, keysT, nHead, scale, from, to,
                        ArrayGptModel.SINGLE_THREAD, new Kernels.AttentionRows());
                SmallAttention.forward(out2, weights2, qkv, keysT2, nHead, scale, from, to);
                String where = nHead + " heads, positions [" + from + ", " + to + ")";
                assertBits(out, out2, where + ": outputs");
                assertBits(keysT, keysT2, where + ": keys");
                for (int t = from; t < to; t++) {
                    assertBits(weights[t], weights2[t], where + ": weights of position " + t);
                }
                if (from > 0) {
                    continue;
                }
                double[][] dout = uniform(random, T, c, 1.0);
                double[][] dqkv = uniform(random, T, 3 * c, 0.5);
                double[][] dqkv2 = copy(dqkv);
                Kernels.attentionBackwardByHeads(dqkv, dout, qkv, weights, new double[c][T],
                        nHead, scale, from, to, ArrayGptModel.SINGLE_THREAD, new Kernels.AttentionRows());
                SmallAttention.backward(dqkv2, dout, qkv, weights, new double[T], nHead, scale, from, to);
                assertBits(dqkv, dqkv2, where + ": gradients");
            }
        }
    }
}
