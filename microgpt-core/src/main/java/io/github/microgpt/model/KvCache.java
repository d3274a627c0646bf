package io.github.microgpt.model;

import io.github.microgpt.autograd.Value;
import java.util.ArrayList;
import java.util.List;

/**
 * The keys and values of the positions a {@link GptModel} has read so far, one list per layer:
 * {@code keys} and {@code values} of {@code microgpt.py}. Each call of
 * {@link GptModel#forward(int, int, KvCache)} appends one key vector and one value vector to every
 * layer, so that attention at position {@code t} can look back at positions {@code 0 .. t}.
 *
 * <p>Any forward pass over {@link Value}s can keep what it needs here: {@link MlpModel} keeps the
 * embeddings of the tokens read (in layer 0's keys), and a learner's own {@code gpt()} uses it
 * exactly as {@code GptModel} does.
 *
 * <p>Not thread-safe: a cache belongs to one sequence, read and grown by one thread.
 */
public final class KvCache {

    private final int nLayer;
    /**
     * The layers' lists, made when a layer is first asked for rather than all up front: a cache
     * costs what the model uses of it, and a mistaken {@code new KvCache(Integer.MAX_VALUE)} is
     * a small object, not two billion lists.
     */
    private final List<List<Value[]>> keys = new ArrayList<>();
    private final List<List<Value[]>> values = new ArrayList<>();

    /**
     * Creates an empty cache.
     *
     * @param nLayer the number of layers of the model that will use it; at least 1
     * @throws IllegalArgumentException if {@code nLayer} is below 1
     */
    public KvCache(int nLayer) {
        if (nLayer < 1) {
            throw new IllegalArgumentException("nLayer must be at least 1 (one list of keys and values per layer), got "
                    + nLayer);
        }
        this.nLayer = nLayer;
    }

    /**
     * The number of positions cached, which is the position the next forward call must read.
     *
     * @return the length
     */
    public int length() {
        return keys.isEmpty() ? 0 : keys.get(0).size();
    }

    /**
     * The number of layers.
     *
     * @return the layer count
     */
    public int layers() {
        return nLayer;
    }

    /**
     * The keys of one layer, one vector per position read: the Python's {@code keys[li]}. A
     * forward pass appends this position's key ({@code keys[li].append(k)}) and then attends
     * over all of them.
     *
     * @param layer the layer, from 0
     * @return the live list (appending to it is how a forward pass fills the cache)
     * @throws IndexOutOfBoundsException if there is no such layer
     */
    public List<Value[]> keys(int layer) {
        reach(layer);
        return keys.get(layer);
    }

    /**
     * The values of one layer, one vector per position read: the Python's {@code values[li]}.
     *
     * @param layer the layer, from 0
     * @return the live list (appending to it is how a forward pass fills the cache)
     * @throws IndexOutOfBoundsException if there is no such layer
     */
    public List<Value[]> values(int layer) {
        reach(layer);
        return values.get(layer);
    }

    /** Makes the lists of the layers up to {@code layer}, which must be one of this cache's. */
    private void reach(int layer) {
        if (layer < 0 || layer >= nLayer) {
            throw new IndexOutOfBoundsException("layer " + layer + " is not in this cache: it has layers 0 to "
                    + (nLayer - 1));
        }
        while (keys.size() <= layer) {
            keys.add(new ArrayList<>());
            values.add(new ArrayList<>());
        }
    }

    /**
     * The layers and the number of positions cached.
     *
     * @return for example {@code KvCache[layers=1, length=3]}
     */
    @Override
    public String toString() {
        return "KvCache[layers=" + nLayer + ", length=" + length() + "]";
    }
}
