package io.github.microgpt.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.Phaser;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntConsumer;

/**
 * The batch step of {@link ArrayGptModel}: documents spread over threads, each document's
 * gradient computed into a buffer of its own, then summed in document order.
 *
 * <p>Why per-document buffers rather than one per thread: floating-point addition is not
 * associative, so {@code (g0 + g1) + (g2 + g3)} (two threads) can differ from
 * {@code ((g0 + g1) + g2) + g3} (one thread) in the last bit. With one buffer per document every
 * element is summed as {@code 0 + g0 + g1 + ... + g(B-1)} whatever the number of threads, and
 * which thread computed which document does not matter.
 */
final class BatchRunner {

    private static final AtomicInteger POOLS = new AtomicInteger();

    private final ArrayGptModel model;
    private Workspace[] workspaces = new Workspace[0];
    private double[][][] documentGrads = new double[0][][];
    /** Each document's gradient buffer by matrix name. */
    private WeightRows[] documentGradRows = new WeightRows[0];
    private double[][] sum;
    private ThreadPoolExecutor pool;

    BatchRunner(ArrayGptModel model) {
        this.model = model;
    }

    double run(List<int[]> documents, int[] ends, int threads, List<Predictions> predictions, double[][] grad) {
        final int n = documents.size();
        final int workers = Math.min(threads, n);
        ensureBuffers(workers, n, grad);
        final double[] losses = new double[n];
        // Longest documents first, so that no thread is left with a long one at the end while
        // the others wait. Which thread computes which document does not change the result.
        final int[] schedule = longestFirst(ends);
        final AtomicInteger nextDocument = new AtomicInteger();
        final int rows = grad.length;
        final int slice = (rows + workers - 1) / workers;
        // One hand-over per step: the threads meet at the barrier after the documents, then each
        // sums its slice of the rows.
        final Phaser documentsDone = new Phaser(workers);
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        parallel(workers, worker -> {
            try {
                Workspace ws = workspaces[worker];
                for (int k = nextDocument.getAndIncrement(); k < n; k = nextDocument.getAndIncrement()) {
                    int b = schedule[k];
                    int[] tokens = documents.get(b);
                    double[][] g = documentGrads[b];
                    for (double[] row : g) {
                        Arrays.fill(row, 0.0);
                    }
                    losses[b] = model.forwardDocument(ws, tokens, 0, ends[b], ArrayGptModel.SINGLE_THREAD);
                    if (predictions != null) {
                        // Each document has its own buffer, so the threads never share one.
                        ArrayGptModel.keepPredictions(predictions.get(b), ws, 0, ends[b]);
                    }
                    // Its gradient was just filled with +0.0: the products may start from 0.
                    model.backwardDocument(ws, tokens, 0, ends[b], documentGradRows[b], ArrayGptModel.SINGLE_THREAD,
                            true);
                }
            } catch (RuntimeException | Error e) {
                failure.compareAndSet(null, e);
                // The others must not take more documents, nor sum what is not there.
                nextDocument.set(n);
            } finally {
                documentsDone.arriveAndAwaitAdvance();
            }
            if (failure.get() != null) {
                return;
            }
            // Sum in document order: each element is 0 + g_0 + g_1 + ... whatever the threads.
            int from = Math.min(rows, worker * slice);
            int to = Math.min(rows, from + slice);
            for (int r = from; r < to; r++) {
                double[] s = sum[r];
                Arrays.fill(s, 0.0);
                for (int b = 0; b < n; b++) {
                    double[] g = documentGrads[b][r];
                    for (int i = 0; i < s.length; i++) {
                        s[i] += g[i];
                    }
                }
                double[] target = grad[r];
                for (int i = 0; i < s.length; i++) {
                    target[i] += s[i] / n;
                }
            }
        });
        Throwable failed = failure.get();
        if (failed instanceof RuntimeException e) {
            throw e;
        }
        if (failed instanceof Error e) {
            throw e;
        }
        double total = 0.0;
        for (double loss : losses) {
            total += loss;
        }
        return total / n;
    }

    /** The documents' indices, longest first (ties in document order). */
    static int[] longestFirst(int[] ends) {
        Integer[] order = new Integer[ends.length];
        for (int b = 0; b < order.length; b++) {
            order[b] = b;
        }
        Arrays.sort(order, (a, b) -> ends[a] != ends[b] ? Integer.compare(ends[b], ends[a]) : Integer.compare(a, b));
        int[] schedule = new int[order.length];
        for (int k = 0; k < schedule.length; k++) {
            schedule[k] = order[k];
        }
        return schedule;
    }

    private void ensureBuffers(int workers, int documents, double[][] shape) {
        if (workspaces.length < workers) {
            Workspace[] more = Arrays.copyOf(workspaces, workers);
            for (int i = workspaces.length; i < workers; i++) {
                more[i] = new Workspace(model.config, model.vocabSize);
            }
            workspaces = more;
        }
        if (documentGrads.length < documents) {
            double[][][] more = Arrays.copyOf(documentGrads, documents);
            WeightRows[] named = Arrays.copyOf(documentGradRows, documents);
            for (int i = documentGrads.length; i < documents; i++) {
                more[i] = zeroedLike(shape);
                named[i] = model.weightRowsOf(more[i]);
            }
            documentGrads = more;
            documentGradRows = named;
        }
        if (sum == null) {
            sum = zeroedLike(shape);
        }
    }

    private static double[][] zeroedLike(double[][] shape) {
        double[][] rows = new double[shape.length][];
        for (int r = 0; r < rows.length; r++) {
            rows[r] = new double[shape[r].length];
        }
        return rows;
    }

    /** Runs {@code work(0)} on this thread and {@code work(1..workers-1)} on the pool; waits for all. */
    private void parallel(int workers, IntConsumer work) {
        if (workers == 1) {
            work.accept(0);
            return;
        }
        ThreadPoolExecutor executor = pool(workers - 1);
        List<Future<?>> futures = new ArrayList<>(workers - 1);
        for (int worker = 1; worker < workers; worker++) {
            int w = worker;
            futures.add(executor.submit(() -> work.accept(w)));
        }
        Throwable failure = null;
        try {
            work.accept(0);
        } catch (RuntimeException | Error e) {
            failure = e;
        }
        boolean interrupted = false;
        for (Future<?> future : futures) {
            while (true) {
                try {
                    future.get();
                    break;
                } catch (InterruptedException e) {
                    // Finish the batch first: the workers write into this model's buffers.
                    interrupted = true;
                } catch (ExecutionException e) {
                    if (failure == null) {
                        failure = e.getCause();
                    }
                    break;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (failure instanceof RuntimeException r) {
            throw r;
        }
        if (failure instanceof Error e) {
            throw e;
        }
        if (failure != null) {
            throw new IllegalStateException("a batch worker failed", failure);
        }
    }

    private ThreadPoolExecutor pool(int size) {
        if (pool == null) {
            int id = POOLS.incrementAndGet();
            AtomicInteger count = new AtomicInteger();
            ThreadFactory factory = runnable -> {
                Thread thread = new Thread(runnable, "microgpt-batch-" + id + "-" + count.incrementAndGet());
                // The pool must never keep a program alive; idle threads also time out.
                thread.setDaemon(true);
                return thread;
            };
            pool = new ThreadPoolExecutor(size, size, 1, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), factory);
            pool.allowCoreThreadTimeOut(true);
        } else if (pool.getMaximumPoolSize() < size) {
            pool.setMaximumPoolSize(size);
            pool.setCorePoolSize(size);
        }
        return pool;
    }
}
