package io.github.microgpt.vector;

/**
 * What one of a thread's panel arrays holds: the product call, the operand and the bounds its
 * numbers were copied for. A product whose work is cut into chunks (of rows, of columns) hands
 * every chunk the same {@code call} object, and a thread that takes several chunks of one call
 * then copies its operand into panels once, not once a chunk. A null call never matches, so a
 * product that does not name its call copies every time.
 *
 * <p>The operand is compared by identity, whatever its element type, and the bounds as up to
 * four numbers whose meaning the owner of the panels states (rows and terms, or terms and width).
 */
final class PanelContents {

    private Object call;
    private Object operand;
    private int b0;
    private int b1;
    private int b2;
    private int b3;

    /**
     * Whether the panels already hold {@code operand} within these bounds, copied by this thread
     * for the same non-null {@code call}; if not, records that they are about to, since the caller
     * copies them next.
     *
     * @param call the product's call, or null for none
     * @param operand the array the panels are copied from
     * @param b0 the first bound
     * @param b1 the second bound
     * @param b2 the third bound
     * @param b3 the fourth bound (0 where the owner uses three)
     * @return whether the panels hold these numbers already
     */
    boolean holds(Object call, Object operand, int b0, int b1, int b2, int b3) {
        if (call != null && call == this.call && operand == this.operand
                && b0 == this.b0 && b1 == this.b1 && b2 == this.b2 && b3 == this.b3) {
            return true;
        }
        this.call = call;
        this.operand = operand;
        this.b0 = b0;
        this.b1 = b1;
        this.b2 = b2;
        this.b3 = b3;
        return false;
    }

    /** Forgets what the panels held: their array was replaced by a larger, empty one. */
    void forget() {
        call = null;
    }
}
