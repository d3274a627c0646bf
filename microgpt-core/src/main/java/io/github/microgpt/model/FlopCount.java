package io.github.microgpt.model;

import io.github.microgpt.internal.ModelChecks;
import java.util.Objects;

/**
 * How many floating-point operations a GPT does, counted on paper from its shape: the yardstick
 * that turns "steps per second" into GFLOP/s, so that engines, machines and other
 * implementations can be compared with the hardware's peak.
 *
 * <p><b>What counts as one operation.</b> Every addition, subtraction, multiplication, division,
 * comparison (for a maximum or a ReLU), {@code exp}, {@code log}, {@code pow} and {@code sqrt} on
 * one number. A product of a {@code rows x cols} matrix with a vector is {@code 2 * rows * cols}
 * (a multiply and an add per weight). Index arithmetic, copies and random draws are free.
 *
 * <p><b>The forward pass of one position</b> {@code t} (which attends to {@code t + 1}
 * positions), for {@code d = nEmbd}, {@code H = nHead}, {@code L = nLayer}, {@code V} tokens:
 * <pre>
 *   d                                   token + position embedding
 * + (1 + 2L) (3d + 3)                   RMSNorms: squares, sum, mean, + eps, pow, scale
 * + L (24 d^2)                          q, k, v, o (4 d x d) and the MLP (d -&gt; 4d -&gt; d)
 * + L (6d + H + (t + 1)(4d + 6H))       residuals, ReLU, attention: dots, scale, softmax, weighted sum
 * + 2 V d                               lm_head
 * </pre>
 * Training adds the loss of each counted position (softmax and {@code -log p}: {@code 5V + 3}),
 * and the backward pass is counted, as usual, as twice the forward pass (for every product, one
 * product for the gradient of the input and one for the gradient of the weights). An Adam update
 * is 14 operations per parameter. A generated token is a forward pass plus the sampler's softmax
 * with temperature ({@code 6V + 1}).
 *
 * <p>At the reference configuration ({@link GptConfig#defaults()}, 27 tokens, 4,192 parameters) a
 * seven-position document costs 163,107 operations for the forward and backward passes and
 * 58,688 for Adam: 221,795 in all.
 */
public final class FlopCount {

    private FlopCount() {
    }

    /**
     * The operations of the forward pass of one position, up to the logits.
     *
     * @param config the shape
     * @param vocabSize the number of tokens; at least 2
     * @param position the position, from 0 to {@code blockSize - 1}; it attends to
     *     {@code position + 1} positions
     * @return the count
     * @throws IllegalArgumentException if {@code vocabSize} or {@code position} is out of range
     */
    public static long forwardPosition(GptConfig config, int vocabSize, int position) {
        Objects.requireNonNull(config, "config");
        ModelChecks.vocabSize(vocabSize);
        ModelChecks.position(position, config.blockSize());
        long d = config.nEmbd();
        long h = config.nHead();
        long layers = config.nLayer();
        long attended = position + 1L;
        long rmsnorms = (1 + 2 * layers) * (3 * d + 3);
        long perLayer = 24 * d * d + 6 * d + h + attended * (4 * d + 6 * h);
        return d + rmsnorms + layers * perLayer + 2L * vocabSize * d;
    }

    /**
     * The operations of the loss of one position: softmax over the logits and {@code -log p}.
     *
     * @param vocabSize the number of tokens; at least 2
     * @return {@code 5 * vocabSize + 3}
     * @throws IllegalArgumentException if {@code vocabSize < 2}
     */
    public static long loss(int vocabSize) {
        ModelChecks.vocabSize(vocabSize);
        return 5L * vocabSize + 3;
    }

    /**
     * The forward and backward passes of a document of which positions {@code 0..positions-1}
     * are trained: three times the forward pass and the losses.
     *
     * @param config the shape
     * @param vocabSize the number of tokens; at least 2
     * @param positions the number of positions, {@code min(blockSize, tokens - 1)}: from 1 to
     *     {@code blockSize}
     * @return the count
     * @throws IllegalArgumentException if {@code vocabSize} or {@code positions} is out of range
     */
    public static long forwardBackward(GptConfig config, int vocabSize, int positions) {
        Objects.requireNonNull(config, "config");
        ModelChecks.vocabSize(vocabSize);
        // A step trains 1 to blockSize positions; a count beyond that describes no model (and
        // Integer.MAX_VALUE of them looped for seconds, then overflowed).
        if (positions < 1 || positions > config.blockSize()) {
            throw new IllegalArgumentException("positions must be from 1 to the block size " + config.blockSize()
                    + ", got " + positions);
        }
        long forward = 0;
        for (int t = 0; t < positions; t++) {
            forward += forwardPosition(config, vocabSize, t) + loss(vocabSize);
        }
        return 3 * forward;
    }

    /**
     * The operations of one Adam update.
     *
     * @param parameters the number of parameters; from 0 to {@code Long.MAX_VALUE / 14}
     * @return {@code 14 * parameters}
     * @throws IllegalArgumentException if {@code parameters} is negative or so large that the
     *     count would overflow
     */
    public static long adam(long parameters) {
        if (parameters < 0 || parameters > Long.MAX_VALUE / 14) {
            throw new IllegalArgumentException("parameters must be from 0 to " + Long.MAX_VALUE / 14 + ", got "
                    + parameters);
        }
        return 14 * parameters;
    }

    /**
     * One training step of one document: forward, backward and Adam.
     *
     * @param config the shape
     * @param vocabSize the number of tokens; at least 2
     * @param positions the number of positions trained, from 1 to {@code blockSize}
     * @return the count
     * @throws IllegalArgumentException if {@code vocabSize} or {@code positions} is out of range
     */
    public static long trainingStep(GptConfig config, int vocabSize, int positions) {
        Objects.requireNonNull(config, "config");
        return forwardBackward(config, vocabSize, positions) + adam(Architecture.GPT.numParameters(config, vocabSize));
    }

    /**
     * One generated token at a position: the forward pass and the sampler's softmax with
     * temperature.
     *
     * @param config the shape
     * @param vocabSize the number of tokens; at least 2
     * @param position the position of the token read, from 0 to {@code blockSize - 1}
     * @return the count
     * @throws IllegalArgumentException if {@code vocabSize} or {@code position} is out of range
     */
    public static long generatedToken(GptConfig config, int vocabSize, int position) {
        Objects.requireNonNull(config, "config");
        return forwardPosition(config, vocabSize, position) + 6L * vocabSize + 1;
    }

}
