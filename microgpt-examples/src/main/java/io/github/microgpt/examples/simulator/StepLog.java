package io.github.microgpt.examples.simulator;

import java.util.Arrays;

/**
 * The steps of a run, in order: an append-only list that readers on other threads can look at
 * without a lock.
 *
 * <p>Only the training thread appends, while holding the session's lock. A reader gets a
 * {@link View}: the array and the count at that moment. Entries below the count are never
 * written again (a full array is copied into a larger one, never changed in place), and the view
 * reaches other threads inside an immutable snapshot published through a volatile field, so the
 * reader sees them complete.
 */
final class StepLog {

    private StepRecord[] records = new StepRecord[256];
    private int size;

    /**
     * Appends a record.
     *
     * @param record the record
     */
    void add(StepRecord record) {
        if (size == records.length) {
            records = Arrays.copyOf(records, size * 2);
        }
        records[size++] = record;
    }

    /**
     * The records so far.
     *
     * @return a view that does not change when more are added
     */
    View view() {
        return new View(records, size);
    }

    /**
     * The first {@code size} entries of an array that only grows.
     *
     * @param records the array
     * @param size how many of its entries are in the view
     */
    record View(StepRecord[] records, int size) {

        /**
         * One record.
         *
         * @param i from 0 to {@code size - 1}
         * @return the record
         */
        StepRecord get(int i) {
            if (i < 0 || i >= size) {
                throw new IndexOutOfBoundsException(i);
            }
            return records[i];
        }
    }
}
