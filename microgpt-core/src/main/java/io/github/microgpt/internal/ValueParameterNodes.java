package io.github.microgpt.internal;

import io.github.microgpt.autograd.Value;

/**
 * Parameters kept as {@link Value} nodes (a {@code ValueLanguageModel}'s): the optimizer, in
 * another package, reads the nodes themselves instead of going through {@code Parameters}' four
 * calls for each index. Its update then reads each node's gradient and data once and writes them
 * once, in one loop, where copying every parameter out into flat arrays and back in again took
 * about a tenth of a short training run's time (most of it calls the quick compiler does not
 * inline). The arithmetic is the same, number by number.
 */
public interface ValueParameterNodes {

    /**
     * The nodes, in the parameters' flat order: the model's own array, not a copy, which the
     * caller must not change.
     *
     * @return one node per parameter
     */
    Value[] params();
}
