package io.github.microgpt.internal;

import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The listeners of one kind of event, kept the one way every hook of the library keeps them:
 * added and removed from any thread, told in the order they were added, on the thread that
 * produces the event. A source with no listeners asks {@link #isEmpty()} and builds no event.
 *
 * @param <L> the listener type, a functional interface
 */
public final class Listeners<L> {

    private final List<L> listeners = new CopyOnWriteArrayList<>();

    /**
     * Adds a listener; adding the same one twice makes it hear every event twice.
     *
     * @param listener the listener
     * @throws NullPointerException if the listener is null
     */
    public void add(L listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    /**
     * Removes one registration of a listener; nothing happens if it is not there.
     *
     * @param listener the listener
     * @throws NullPointerException if the listener is null: a null is refused as {@link #add}
     *     refuses it (the module's rule), not taken for a listener that was never added
     */
    public void remove(L listener) {
        listeners.remove(Objects.requireNonNull(listener, "listener"));
    }

    /**
     * Whether there is no listener, so that the event need not be built.
     *
     * @return true if there is none
     */
    public boolean isEmpty() {
        return listeners.isEmpty();
    }

    /**
     * Tells every listener, in the order they were added.
     *
     * @param call what to do with each listener
     */
    public void forEach(Consumer<? super L> call) {
        for (L listener : listeners) {
            call.accept(listener);
        }
    }
}
