package io.github.microgpt.examples.simulator;

import io.github.microgpt.model.AttentionEvent;
import io.github.microgpt.model.AttentionListener;
import java.util.ArrayList;
import java.util.List;

/**
 * Keeps the attention weights of the latest forward passes, as the model reports them through its
 * {@link AttentionListener} hook: for every layer and head, one row per position read so far, each
 * row the weights over positions {@code 0 .. row}. Together the rows form the lower triangle the
 * page draws as a heatmap.
 *
 * <p>A pass that starts again at position 0 (a new training step, a new sample) clears the rows.
 * Used on the thread that runs the model, under the session's lock.
 */
final class AttentionRecorder implements AttentionListener {

    private final List<List<double[]>> rows = new ArrayList<>();
    private final int nHead;

    /**
     * Creates an empty recorder.
     *
     * @param nLayer the number of layers
     * @param nHead the number of heads per layer
     */
    AttentionRecorder(int nLayer, int nHead) {
        this.nHead = nHead;
        for (int i = 0; i < nLayer * nHead; i++) {
            rows.add(new ArrayList<>());
        }
    }

    @Override
    public void onAttention(AttentionEvent event) {
        int layer = event.layer();
        int head = event.head();
        int posId = event.posId();
        double[] weights = event.weights();
        if (posId == 0 && layer == 0 && head == 0) {
            rows.forEach(List::clear);
        }
        List<double[]> list = rows.get(layer * nHead + head);
        // Positions arrive in order; if a pass resumes after another one cleared the rows (a
        // sample continued after a training step), the earlier rows are unknown and stay empty.
        while (list.size() > posId) {
            list.remove(list.size() - 1);
        }
        while (list.size() < posId) {
            list.add(null);
        }
        list.add(weights);
    }

    /**
     * A copy of the rows: {@code [layer][head][position][key position]}; a row the recorder did
     * not see is {@code null}. The weight arrays are shared: nobody writes to them after the model
     * handed them over.
     *
     * @param nLayer the number of layers
     * @return the rows
     */
    double[][][][] copy(int nLayer) {
        double[][][][] out = new double[nLayer][nHead][][];
        for (int layer = 0; layer < nLayer; layer++) {
            for (int head = 0; head < nHead; head++) {
                out[layer][head] = rows.get(layer * nHead + head).toArray(double[][]::new);
            }
        }
        return out;
    }
}
