package io.github.microgpt.examples.cli;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import io.github.microgpt.internal.FusedStep;
import io.github.microgpt.internal.FusedUpdates;
import io.github.microgpt.model.Architecture;
import io.github.microgpt.model.ArrayGptModel;
import io.github.microgpt.model.ArrayKernels;
import io.github.microgpt.model.Engine;
import io.github.microgpt.model.Precision;
import io.github.microgpt.model.FlopCount;
import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.LanguageModel;
import io.github.microgpt.model.Parameters;
import io.github.microgpt.optim.AdamOptimizer;
import io.github.microgpt.optim.AdamSettings;
import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.sample.Sampler;
import io.github.microgpt.text.Documents;
import io.github.microgpt.text.Tokenizer;
import io.github.microgpt.text.VisibleText;
import io.github.microgpt.train.GradientEvent;
import io.github.microgpt.train.GradientListener;
import io.github.microgpt.train.StepEvent;
import io.github.microgpt.train.StepMode;
import io.github.microgpt.train.Trainer;
import io.github.microgpt.train.TrainingDivergedException;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.LongSupplier;
import java.util.stream.IntStream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code microgpt bench}: training steps/s, generated tokens/s and GFLOP/s of the engines at one
 * model size, measured after a warm-up, in well under a minute.
 *
 * <p>Without model options it measures the reference configuration of {@code microgpt.py} (one
 * layer, {@code nEmbd = 16}, 4 heads, block size 16) on the embedded names shuffled with seed 42,
 * both engines. With {@code --n-embd}, {@code --n-layer}, {@code --n-head} or
 * {@code --block-size} it measures that size alone, on documents of {@code blockSize} random
 * letters, so that every step trains {@code blockSize} positions (a name is too short to fill a
 * longer context). There is nothing to learn in random letters, and a large model diverges on
 * them at the reference learning rate, so such runs train at 1e-4 unless {@code --lr}
 * says otherwise (it applies to the reference run too); the speed of a step does not depend on
 * it. {@code --engine array} picks one engine; the Value engine is refused at sizes
 * where one step would build a graph of millions of nodes. {@code --precision f32} measures the
 * array engine in single precision ({@link Precision#F32}), reported as {@code array-f32}, and
 * {@code --threads} splits each of its training steps over that many threads.
 *
 * <p>For each engine it trains to let the JIT compile the hot code: for at least
 * {@code --seconds}, and on until the step rates are steady and the JIT compiler is quiet (at most
 * four times {@code --seconds} after its first round, whose first step a large model runs in the
 * interpreter; see {@link Rounds}, whose rule is the same for every thread
 * count). Then it counts training steps (one document each, with Adam) for {@code --seconds},
 * and likewise generated tokens (temperature 0.5, through the {@link Sampler}). Each measurement
 * is cut into slices of about a quarter of a second (at least five), sized from the warm-up's
 * last rates, and the median slice is reported, so that a burst of other work on the machine
 * does not decide the result. The steps are timed as
 * {@code train} runs them, with no {@link GradientListener}: the phase split below has a slice of
 * its own, so that nothing is added to the steps that are counted.
 *
 * <p><b>Thread counts compared side by side.</b> On a shared machine the speed of the same jar
 * drifts by 15–25% from one minute to the next, so two separate runs, one on each thread count,
 * measure the minute as much as the threads. {@code --threads 1,2} starts a JVM for each count
 * ({@link BenchChild}: this JVM's {@code java}, options and class path, so each is the JVM a
 * separate run of that count would have been), which builds a model and trainer from the same
 * seed; this JVM then warms them up together and times them in rounds: in each round every count
 * runs the same steps on the same documents in a slice of its own, while the others wait, in the
 * order given and reversed every other round (1,2 then 2,1), until {@code --seconds} (shared by
 * the counts) is spent. Each count gets an engine entry of its own (its {@code threads} says
 * which), and each count after the first a speed-up over the first: the median of the rounds'
 * ratios, which pair slices run one right after the other, with the lowest and highest as its
 * spread, the steps of every slice, and the warm-up's length and whether it settled (a line of
 * the table says when it did not). Each slice starts once the JIT compilers of the JVMs are
 * quiet, and a round during which they worked for more than 2% of its time is set aside
 * ({@code roundsSetAside}; the table's speed-up line says how many): a compiler takes its core
 * from a two-thread slice alone, and such rounds read a lower speed-up than long runs of each
 * count get ({@link Rounds} has the measurements). So is a round during which the machine gave
 * less than full cores: a short check of the host before each slice and after the round
 * ({@link CoreScaling#probe}, 2 ms of multiply-adds on one thread alone and then twice on two
 * at once) must read, in every one of the round's checks, at least 1.8 times one thread's best
 * speed on two threads
 * ({@code roundsSetAsideForHost}; the line says how many, and why), since another tenant on a
 * shared host slows a two-thread slice, which has no core to spare, and the ratio then measures
 * the neighbour, not the engine. The line keeps the median of every round beside the figure;
 * and where the host stayed short of full cores until the rounds' limit (3 x {@code --seconds}),
 * so that fewer than five rounds had them, the slow rounds are counted and the line says plainly
 * that its figure measures the host, not the program, with the rounds that had full cores and
 * their median.
 * Since every count ran the same steps, their models must be the same bits: the last loss of
 * every round and a digest of the final weights, as the children report them, are compared, and
 * a difference is reported (it would be a bug: a step's result does not depend on its threads).
 * A child that fails ends the run with one line naming its count and the cause; so does one that
 * does not answer in time (a minute plus ten times the work asked: {@link BenchChild.Patience}),
 * which is then ended with whatever it started. Options that name what only one JVM can hold (a
 * debugger's port, a log file without {@code %p}: {@link BenchChild.JvmOptions}) are left out of
 * the children, with a note on stderr.
 *
 * <p>Why a JVM per count: until December 2026 the counts' models shared this JVM, and with it
 * what no separate run has: the JIT compiler's profiles and code, compiled from every count's
 * steps. In about a third of such runs (vector f32 at nEmbd 256, 4 and 5 December: 3 of 9) the
 * one-thread model's forward and backward passes ran at 20.4–21.3 ms a step for the whole run,
 * against 13.7–15.8 ms in all 13 runs where that count had a JVM of its own (alone, or a child
 * here), so its slices were about 25% slow and the list read a speed-up near 1.9 where separate
 * runs gave 1.4–1.6. Which compiled method is slower was not pinned down; probes that warmed a
 * one-thread model beside a two-thread one for a fixed time did not catch a slow run. A JVM per
 * count measures, by construction, what a user's run of that count gets; the cost is the
 * children's start, a fraction of a second each. Rounds of the three, alternated on 5 December
 * (median of each run's rounds): one JVM 1.60, 1.57, 1.36, 1.37, 1.90; a JVM per count 1.14,
 * 1.47, 1.41, 1.45, 1.51, 1.46, 1.57; separate runs 1.62, 1.55, 1.55, 1.52, 1.37, 1.71.
 *
 * <p>GFLOP/s is the analytic operation count of the steps done
 * ({@link FlopCount}) divided by their time, and it is also given as a share of the peak that
 * applies to it, measured by {@link PeakFlops} before the engines run: in the engine's precision
 * (single precision has twice the vector lanes, so about twice the peak) and on as many threads as
 * its step uses (the Value engine always one; never more than the processors the JVM sees).
 *
 * <p>Next to the peak it measures the memory: the bandwidth of the machine's main memory (DRAM)
 * on one thread and on each thread count the run uses, with {@link MemoryBandwidth}, once, after
 * the peaks and before the engines (a few tenths of a second, whatever {@code --seconds} is). Its
 * kernel reads and writes four arrays as Adam's update after the backward pass does, on data not
 * in the caches, the thread counts alternated in fifteen rounds; each count's figure is the
 * median of its rounds, and the ratio beside it is over one thread's. Computing scales with the
 * cores; on many machines the memory does not (one core alone uses most of it), so this says how
 * much of a speed-up on two threads the machine allows for the work that streams from memory.
 * One such part is counted: Adam's update reads and writes each parameter's weight and two
 * moments once a step, and where it runs after the backward pass its gradient too
 * ({@link MemoryBandwidth#updateBytesPerStep}: 6 or 8 numbers per parameter, of 8 bytes in f64,
 * of 4 in f32), and the table says what that many bytes take at each measured bandwidth. Where
 * it runs is the timed steps' ({@link MemoryBandwidth.UpdatePlace}): the array engine's step of
 * one document runs it inside the backward pass, each matrix's gradient read from the caches as
 * soon as it is summed (at nEmbd 256, 4 layers: 76.2 MB a step in f32, 152.4 MB in f64), except
 * in f64 with short rows (the reference model's, staged after the pass) or on more than two
 * threads with the core's own loops; the Value engine's runs after it. It is a lower bound: the
 * forward and backward passes read every weight too, more than once.
 *
 * <p>Beside the memory it measures the cores ({@link CoreScaling}), once, after the memory: the
 * same multiply-adds as the peak's kernel, in the bench's precision, on one thread and on each
 * thread count the run uses, alternated in fifteen rounds of a few milliseconds, each count's
 * rate the median of its rounds and its ratio over one thread's beside it. That work needs no
 * memory and no shared cache, so its ratio is the most a second thread can add on this machine
 * at the moment: about 2 on two full cores, less while the host gives one of them to other work.
 *
 * <p>Two thread counts compared, in single precision, with {@code microgpt-vector}'s kernels, on
 * a 2-core AMD EPYC Zen 5 virtual machine shared with other tenants, with JDK 17, on 6 December 2026 at
 * 03:47 UTC, with nothing else of ours running. Alternation spreads a drift over both counts, but
 * other work slows a two-thread slice, which has no core to spare, much more than a one-thread
 * one, which leaves it a core, so a busy moment lowers the ratio (with one core busy elsewhere,
 * 5 December: two threads at about half their speed, one thread 10-20% slower; see
 * {@link Rounds}). The JIT compilers worked during 10 of the 23 rounds, and the host's check
 * read less than two full cores during 8 others; all were set aside, and the median of all 23 is
 * on the same line. The compute line, measured seconds before the engines, read 1.98x, the
 * memory's 2.00x; a minute earlier, in another run, they read 0.83x and 1.06x: quote a
 * speed-up with them. (On 5 December, in twelve runs of the four array engines at this size,
 * the JIT alone set aside 3 to 12 rounds of 8 to 17, and the median of the rest was from 0.02
 * below to 0.44 above that of all.)
 *
 * <pre>
 * $ microgpt bench --engine array --precision f32 --n-embd 256 --n-layer 4 --n-head 8 --block-size 64 --threads 1,2
 * microgpt bench: 4 layers, nEmbd 256, 8 heads, block size 64, 27 tokens, 3175936 parameters, documents of 64 random letters, Adam at 1e-4
 * engine    threads      steps/s     tokens/s   GFLOP/s of peak
 * array-f32       1         57.9          771    74.314   48.3%
 * array-f32       2         84.6          710   108.663   38.3%
 * array-f32 on 2 / 1 thread: 1.46x the steps (median of 5 alternated rounds of 11 steps; lowest 1.32x, highest 1.68x; 18 more rounds set aside: a JIT compiler worked during 10, the machine gave less than two full cores during 8 (probe 2/1 below 1.80); all 23 rounds: 1.45x), the same results
 * heap allocated per timed step by the threads that ran it: array-f32 on 1 thread 16.7 KB, array-f32 on 2 threads 46.3 KB
 * peak of f32 on 1 thread, measured: 153.8 GFLOP/s
 * peak of f32 on 2 threads, measured: 283.9 GFLOP/s
 * compute of this machine, measured: 1 thread 133.2 GFLOP/s, 2 threads 263.5 GFLOP/s, 1.98x (f32 multiply-adds on 4 KiB in each thread's first-level cache, no memory traffic: the most more threads can gain; median of 15 alternated rounds, 0.21 s)
 * memory of this machine, measured: 1 thread 47.4 GB/s, 2 threads 94.7 GB/s, 2.00x (4 arrays read and written as Adam's update after the backward pass does, 268 MB in all, median of 15 alternated rounds, 0.84 s)
 * Adam's update inside the backward pass reads and writes 76.2 MB a step (w, m, v: 3 x 3175936 f32 numbers of 4 bytes, each read and written once; each matrix's gradient is read from the caches as soon as it is summed); from memory at these bandwidths that takes 1.61 ms on 1 thread, 0.80 ms on 2 threads
 * Java 17.0.15 (OpenJDK 64-Bit Server VM), 2 processors, vector matrix products
 * </pre>
 *
 * <p>One thread count, in single precision, on the same machine at 04:22 UTC:
 *
 * <pre>
 * $ microgpt bench --engine array --n-embd 256 --n-layer 4 --n-head 8 --block-size 64 --seconds 2 \
 *       --precision f32 --threads 2
 * microgpt bench: 4 layers, nEmbd 256, 8 heads, block size 64, 27 tokens, 3175936 parameters, documents of 64 random letters, Adam at 1e-4
 * engine         steps/s     tokens/s   GFLOP/s of peak
 * array-f32         83.1        1,156   106.719   38.4%
 * heap allocated per timed step by the threads that ran it: array-f32 on 2 threads 45.9 KB
 * peak of f32 on 2 threads, measured: 278.3 GFLOP/s
 * compute of this machine, measured: 1 thread 137.3 GFLOP/s, 2 threads 269.8 GFLOP/s, 1.96x (f32 multiply-adds on 4 KiB in each thread's first-level cache, no memory traffic: the most more threads can gain; median of 15 alternated rounds, 0.21 s)
 * memory of this machine, measured: 1 thread 52.7 GB/s, 2 threads 95.5 GB/s, 1.81x (4 arrays read and written as Adam's update after the backward pass does, 268 MB in all, median of 15 alternated rounds, 0.21 s)
 * Adam's update inside the backward pass reads and writes 76.2 MB a step (w, m, v: 3 x 3175936 f32 numbers of 4 bytes, each read and written once; each matrix's gradient is read from the caches as soon as it is summed); from memory at these bandwidths that takes 1.45 ms on 1 thread, 0.80 ms on 2 threads
 * Java 17.0.15 (OpenJDK 64-Bit Server VM), 2 processors, vector matrix products
 * </pre>
 *
 * <p>{@code --json} prints one object instead:
 * {@code {"engines": [{"engine": "value", "precision": "f64", "threads": 1, "stepsPerSecond": ...,
 * "gradientMillis": ..., "optimizerMillis": ..., "tokensPerSecond": ..., "gflopsPerSecond": ...,
 * "peakGflopsPerSecond": ..., "peakThreads": 1, "shareOfPeak": ..., "memoryGbPerSecond": ...,
 * "updateBytesPerStep": ..., "updateInsideBackwardPass": ..., "updateMemoryMillis": ...,
 * "firstLoss": ..., "lastLoss": ...,
 * "timedDivergences": 0, "divergences": 0, "allocatedBytesPerStep": ...}, {"engine": "array", ...}],
 * "memory": {...}, "kernels": ..., "configuration": {...}}}, and with a list of thread counts, after
 * {@code "engines"}, {@code "speedUps": [{"engine": "array", "precision": "f64", "threads": 2,
 * "overThreads": 1, "median": ..., "min": ..., "max": ..., "rounds": ..., "ratios": [...],
 * "sameResults": true, "roundsSetAsideForHost": ..., "hostProbeThreads": 2, "hostProbeLeast": 1.8,
 * "hostProbes": [...]}]}, and last {@code "compute": {...}}. An engine's name says its precision where it has a choice
 * ({@code array-f32}); {@code gradientMillis} and {@code optimizerMillis} split a step into the
 * model's forward and backward passes and Adam's update (which also resets the gradients), so
 * that one sees which part a change, or a second thread, sped up. They are the mean of a short
 * slice of their own, timed after the others with a gradient listener that notes when the
 * gradients are complete, so their sum need not be {@code 1000 / stepsPerSecond}: with a listener
 * the update runs after the backward pass, where the counted steps may run it inside.
 * {@code shareOfPeak} is
 * {@code gflopsPerSecond / peakGflopsPerSecond}, the peak of that entry's precision measured on
 * {@code peakThreads} threads. {@code memoryGbPerSecond} is the memory's bandwidth measured on as
 * many threads, in GB/s (10<sup>9</sup> bytes a second); {@code updateBytesPerStep} the bytes
 * Adam's update reads and writes in one of the counted steps, each array it streams read and
 * written once: where that step runs the update inside the backward pass
 * ({@code updateInsideBackwardPass} true: the array engine's steps, except in f64 with rows of 32
 * numbers or fewer on average, as the reference model's, or on more than two threads with the
 * core's own loops) the weight and two moments, {@code 6 * parameters * 8} in f64 and
 * {@code 6 * parameters * 4} in f32, each matrix's gradient being read from the caches as soon
 * as it is summed; after it ({@code false}) the gradient too, {@code 8 * parameters * 8} and
 * {@code 8 * parameters * 4}; and {@code updateMemoryMillis} the milliseconds those bytes take at
 * {@code memoryGbPerSecond}, {@code updateBytesPerStep / memoryGbPerSecond / 1e6}: a part of
 * the step that more threads shorten only as much as the bandwidth grows. {@code firstLoss} and
 * {@code lastLoss} are the loss of the first and of the last timed step (null if that step's
 * loss was not finite), so that one sees what the steps trained; {@code divergences} counts the
 * entry's steps whose loss was NaN or infinite (warm-up, timed slices and phase split), and
 * {@code timedDivergences} those among the timed steps. On random letters, after such a step
 * the model and optimizer are built again from the seed and training goes on; that rebuilding
 * is timed apart and left out of every step figure ({@link Rounds}, {@link Runner}). At the
 * bench's rate, 1e-4, no size measured so far diverged; where one does, the table gets a line
 * for it and stderr a note. {@code allocatedBytesPerStep} is the heap the threads that ran the
 * timed steps allocated, over those steps: the calling thread and the step's helper threads,
 * counted in the JVM that ran them (a list's children count their own and send the figure with
 * their other figures), the rebuilding after a divergence left out ({@link StepAllocation});
 * {@code null} where that JVM cannot count each thread's allocation (without the module
 * {@code jdk.management}). The table gives it for every entry in a line of its own. A compiled
 * step of the array engine allocates a few hundred KB at most (at nEmbd 256, 4 layers, 8 heads,
 * block 64: 32 KB on 1 thread, 203-219 KB on 2); where an array entry's steps allocated more than
 * {@link #ALLOCATION_NOTE_BYTES_PER_THREAD} (256 KB) times its threads each, stderr gets a note:
 * in December 2026 JVMs that ran Vector API kernels in their slow Java fallback for their whole
 * life allocated 485-1,685 KB a step on the calling thread alone, and steps timed before the JIT
 * had compiled them (a short {@code --seconds}) allocate much too. The note names the likely
 * cause for the kernels that ran ({@link #allocationNote}): the fallback comes from the JDK and
 * what the JVM compiled, and repeats with the same options, so it points to the core's loops or
 * another JDK for comparison rather than to a rerun. It is a sign, not a proof. The Value engine builds a graph of objects
 * every step, and allocates megabytes by design. {@code "memory"} says
 * how the bandwidths were measured: {@code {"bandwidths": [{"threads": 1, "gbPerSecond": ...,
 * "overOneThread": 1.0, "rounds": [...]}, {"threads": 2, ...}], "bufferBytes": ...,
 * "seconds": ..., "roundsSetAside": 0}}, an entry per thread count (one thread always, then the
 * counts the run used, at most the processors), each with the median of its counted rounds, that
 * median over one thread's ({@code overOneThread}) and every counted round's bandwidth in the order
 * they ran; {@code bufferBytes}
 * is the size of the kernel's four arrays together, {@code seconds} how long the whole
 * measurement took and {@code roundsSetAside} the rounds left out because this JVM's JIT compiler
 * worked during them ({@link ControlRounds}). {@code "compute"} says likewise how the cores scaled
 * ({@link CoreScaling}): {@code {"precision": "f64", "rates": [{"threads": 1, "gflopsPerSecond": ...,
 * "overOneThread": 1.0, "rounds": [...]}, {"threads": 2, ...}], "seconds": ..., "onProcessor": ...,
 * "roundsSetAside": 0, "compilerRounds": 0}}, the
 * same thread counts as {@code "memory"}, with the share of their time the most threads were on a
 * processor ({@code null} with one thread, or where the JVM cannot tell; below 0.9, another program
 * on this machine kept them off it; see {@link CoreScaling}), the rounds set aside because this
 * JVM's JIT compiler worked during them and the rounds it worked during (more than those set aside
 * when too many were to set aside, and every round counted: {@link ControlRounds}); new keys come
 * last, so that the keys before keep their places. In a
 * {@code speedUps} entry, {@code roundsSetAside} counts the rounds left out for either reason,
 * {@code roundsSetAsideForHost} those of them left out because the host gave less than full cores
 * (a round a JIT compiler also disturbed counts as the compiler's), {@code hostProbeThreads} the
 * threads of that check (0 where there was none: one processor), {@code hostProbeLeast} the least
 * reading of a counted round ({@code null} without a check), and {@code hostProbes} every timed
 * round's lowest reading, in the order run, those set aside included; then, new in December 2026,
 * {@code roundsHostSlow} the rounds without a JIT compiler where the check read low, set aside or
 * not, {@code fullCoreRounds} those where it did not (what the figure is made of when there are
 * at least five) and {@code medianOfFullCoreRounds} their median ratio ({@code null} if none),
 * {@code measuredTheHost} whether there were too few of them by the rounds' limit, so that the
 * slow rounds counted and the figure measures the host, not the program (the line says so
 * plainly), {@code roundsSeconds} how long the timed rounds took and {@code roundsLimitSeconds}
 * how long they could go on for such rounds (3 x {@code --seconds}). {@code "kernels": "plain"} (or {@code "vector"}) says which code
 * computed the array engine's matrix products ({@link ArrayKernels#implementation()}), and
 * {@code "configuration"} the model's size, its documents ({@code "names"} or
 * {@code "random letters"}) and Adam's {@code "learningRate"}. The figures
 * depend on the machine and on what else it is doing; they are for comparing, not for asserting.
 */
@Command(name = "bench",
        mixinStandardHelpOptions = true,
        versionProvider = MicrogptCommand.Version.class,
        sortOptions = false,
        description = {
            "Measure the training steps/s, generated tokens/s and GFLOP/s of each engine (value and array) "
                    + "after a warm-up, at microgpt.py's reference configuration or at the size given, "
                    + "and GFLOP/s as a share of the measured peak of the engine's precision and threads; "
                    + "beside the peak, the memory's measured bandwidth and the cores' measured compute on one "
                    + "thread and on the run's threads; "
                    + "and the heap the threads of a timed step allocated."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:Success.",
            "1:The measurement failed (out of memory, or an internal error).",
            "2:Invalid usage: an unknown option or a value out of range."},
        footer = {
            "%nThe whole run takes about 4 x --seconds per engine, plus up to 0.5 s per engine before its warm-up, "
                    + "in which the bench has its own JIT compile the code that watches the compilers, so that it does "
                    + "not compile it during the timed rounds: about 25-30 s by default. It takes more while the JIT "
                    + "compiler is still busy after the first --seconds of warm-up, or during the timed rounds (a round "
                    + "it disturbs is set aside, and the rounds go on, up to 3 x --seconds; so is a round during which "
                    + "a check of the host before and after each slice found less than full cores); the thread counts of a "
                    + "list share it. gradientMillis and optimizerMillis (--json) come from a short slice of their "
                    + "own, timed with a gradient listener; steps/s are timed without one, as train runs.",
            "Close other programs first: the figures are only as steady as the machine."})
public final class BenchCommand implements Callable<Integer> {

    /** The fewest slices (rounds, with a list of thread counts) a measurement is cut into; the median is reported. */
    static final int SLICES = 5;

    /** The length a training slice aims at, in seconds: short, so that a list's counts alternate often. */
    static final double SLICE_SECONDS = 0.25;

    /** The most rounds of training slices, so that a long --seconds gives longer slices, not a JSON list of thousands of ratios. */
    static final int MAX_ROUNDS = 101;

    /** The rounds of the short measurement of the phase split (with a gradient listener). */
    static final int PHASE_ROUNDS = 3;

    /** The most seconds a single measurement may take, so that a typo cannot hang a terminal for hours. */
    static final double MAX_SECONDS = 600;

    /**
     * The largest training step, in floating-point operations, the Value engine is asked to
     * measure: about 20 times the reference step. It builds one object per operation, so one step
     * beyond this is a graph of millions of nodes, seconds of work and hundreds of megabytes.
     */
    static final long MAX_VALUE_ENGINE_STEP_FLOPS = 5_000_000;

    /** The largest model measured, in parameters (with Adam's moments, 3.2 GB of doubles). */
    static final long MAX_PARAMETERS = 100_000_000;

    /** Adam's learning rate on random letters, low enough that a large model does not diverge. */
    static final double RANDOM_DOCUMENTS_LEARNING_RATE = 1e-4;

    /**
     * The heap bytes an array engine's timed step may allocate on average, per thread of the step,
     * before stderr gets a note ({@link #allocationNote}): 256 KB, so 512 KB on 2 threads.
     * Compiled steps allocated 32 KB on 1 thread and 203 KB (f64) or 219 KB (f32) on 2 at nEmbd
     * 256, 4 layers, 8 heads, block 64, the same bytes in every run; JVMs that ran the Vector API
     * kernels in their slow fallback allocated 485-1,685 KB a step on the calling thread alone,
     * and among f32 runs at that size one on 1 thread allocated 1,415 KB a step and one on 2
     * threads 6,576 KB (December 2026).
     */
    static final long ALLOCATION_NOTE_BYTES_PER_THREAD = 256_000;

    /** The number of random-letter documents a run cycles through. */
    static final int RANDOM_DOCUMENTS = 256;

    @ParentCommand
    private MicrogptCommand parent;

    /** This command as picocli read it: the text typed for an option, which an error quotes. */
    @Spec
    private CommandSpec spec;

    @Option(names = "--json", description = "Print one JSON object instead of a table.")
    private boolean json;

    // Split by hand rather than with picocli's split, whose synopsis ([--engine=NAME[,NAME...]]...)
    // would be cut in the middle when the usage line wraps.
    @Option(names = "--engine", paramLabel = "NAME",
            description = "The engines to measure: value, array, or both separated by a comma. "
                    + "Default: both (array only when a model option is given).")
    private List<String> engineNames;

    @Option(names = "--n-layer", paramLabel = "L",
            description = "Number of transformer layers; at least 1. Default: 1.")
    private Integer nLayer;

    @Option(names = "--n-embd", paramLabel = "D",
            description = "Embedding width; at least 1 and divisible by --n-head. Default: 16.")
    private Integer nEmbd;

    @Option(names = "--n-head", paramLabel = "H",
            description = "Number of attention heads; at least 1, and it must divide --n-embd (the default 4 too: "
                    + "--n-embd 6 needs --n-head 1, 2, 3 or 6). Default: 4.")
    private Integer nHead;

    @Option(names = "--block-size", paramLabel = "B",
            description = "Context length, and the positions every step trains when a model option is given; "
                    + "at least 1. Default: 16.")
    private Integer blockSize;

    @Option(names = "--seconds", paramLabel = "S", defaultValue = "3",
            description = "Seconds of each measurement (training and generation, per engine); the training "
                    + "warm-up takes at least as long again, and goes on until the step rates are steady and the "
                    + "JIT compiler is quiet, up to 4 x --seconds after its first round (a large model's first step "
                    + "runs in the interpreter, for seconds). Positive, at most 600. Default: ${DEFAULT-VALUE}.")
    private double seconds;

    /** The most threads {@code --threads} accepts. */
    static final int MAX_THREADS = 256;

    /** The most thread counts one {@code --threads} list may give (each is a JVM with its model, all running at once). */
    static final int MAX_THREAD_COUNTS = 8;

    // A string, split and checked by hand (threadCounts), so that a list's errors name what is wrong.
    @Option(names = "--threads", paramLabel = "N", defaultValue = "1",
            description = "Threads of one training step of the array engine (ArrayGptModel.setThreads); the "
                    + "results do not depend on it, only the time; its share of peak is of the peak on as many "
                    + "threads (at most the processors). 1 to 256. A list such as 1,2 measures each count in "
                    + "a JVM of its own, in alternated slices of the same steps (1,2 then 2,1, ...; the counts share "
                    + "--seconds; every slice has the steps the slowest count ran in about a quarter of a second at the "
                    + "end of the warm-up), and reports each count's speed-up over the first: the median, lowest "
                    + "and highest of the rounds' ratios, leaving out rounds during which a JIT compiler worked or "
                    + "the host gave less than full cores (a check of the cores before and after each slice). "
                    + "Default: ${DEFAULT-VALUE}.")
    private String threadsText;

    @Option(names = "--precision", paramLabel = "P", defaultValue = "f64",
            description = "The array engine's precision: f64 (exact, the default) or f32 (floats: faster, not "
                    + "exact; reported as array-f32). The value engine has f64 only. Default: ${DEFAULT-VALUE}.")
    private String precisionName;

    @Option(names = "--lr", paramLabel = "RATE", converter = PositiveNumber.class,
            description = "Adam's learning rate, the same for every step (train's --lr decays to 0); positive and finite. "
                    + "The speed of a step does not depend on it, but a rate at which the loss becomes infinite "
                    + "makes the model be built again each time it does (outside the timed steps; the table and "
                    + "stderr say so). Default: 1e-4 on random letters (a model option given), where larger models "
                    + "diverge at microgpt.py's 0.01; 0.01 at the reference configuration.")
    private Double learningRate;

    private final LongSupplier clock;
    private final LongSupplier compilerMillis;
    /**
     * Whether the JIT compilers of the children count with {@link #compilerMillis}, and the timed
     * rounds watch the compiler threads of every JVM ({@link CompilerThreads}): not when a test
     * gives its own clock and compiler time.
     */
    private final boolean childrenCompile;
    private final BenchChild.Launch childCommand;
    /** This JVM's options, of which a list's children get those {@link BenchChild.JvmOptions} passes on. */
    private final List<String> jvmOptions;
    /** How long a list's children may take to answer. */
    private final BenchChild.Patience patience;
    /** Starts the host's check around each timed round of a list ({@link CoreScaling}); null for none. */
    private final HostProbes hostProbes;

    /** Creates the command; picocli calls this and then sets the options. */
    public BenchCommand() {
        this(System::nanoTime, BenchCommand::compilerMillis, true, BenchChild::command,
                BenchChild.JvmOptions.ofThisJvm(), BenchChild.Patience.USUAL, CoreScaling::new);
    }

    /**
     * Creates the command with clocks of its own, for a test.
     *
     * @param clock nanoseconds, for every time measured in this JVM (not the peak's, which is
     *     processor time) and for the slices of a list's children
     * @param compilerMillis the JIT compiler's total working time in milliseconds, which the
     *     warm-up watches ({@link Rounds}); with a list, it stands for the children's too
     */
    BenchCommand(LongSupplier clock, LongSupplier compilerMillis) {
        this(clock, compilerMillis, null);
    }

    /**
     * Creates the command with clocks and a host's check of its own, for a test.
     *
     * @param clock nanoseconds, as for {@link #BenchCommand(LongSupplier, LongSupplier)}
     * @param compilerMillis the JIT compiler's total working time in milliseconds, likewise
     * @param hostProbes what checks the host around each timed round of a list; null for no check
     */
    BenchCommand(LongSupplier clock, LongSupplier compilerMillis, HostProbes hostProbes) {
        this(clock, compilerMillis, false, BenchChild::command, BenchChild.JvmOptions.ofThisJvm(),
                BenchChild.Patience.USUAL, hostProbes);
    }

    /**
     * Creates the command with the command line of a list's children of its own, for a test that
     * makes one fail or differ.
     *
     * @param childCommand the command line that starts the JVM measuring a contender
     *     ({@link BenchChild#command})
     */
    BenchCommand(BenchChild.Launch childCommand) {
        this(childCommand, BenchChild.JvmOptions.ofThisJvm(), BenchChild.Patience.USUAL);
    }

    /**
     * Creates the command with the children's command line, this JVM's options as they are taken
     * to be, and the children's time limits of its own, for a test that makes a child hang or
     * gives an option no child can share.
     *
     * @param childCommand the command line that starts the JVM measuring a contender
     * @param jvmOptions the options taken for this JVM's, which the children get (some of)
     * @param patience how long a child may take to answer
     */
    BenchCommand(BenchChild.Launch childCommand, List<String> jvmOptions, BenchChild.Patience patience) {
        this(System::nanoTime, BenchCommand::compilerMillis, true, childCommand, jvmOptions, patience,
                CoreScaling::new);
    }

    private BenchCommand(LongSupplier clock, LongSupplier compilerMillis, boolean childrenCompile,
            BenchChild.Launch childCommand, List<String> jvmOptions, BenchChild.Patience patience,
            HostProbes hostProbes) {
        this.hostProbes = hostProbes;
        this.clock = clock;
        this.compilerMillis = compilerMillis;
        this.childrenCompile = childrenCompile;
        this.childCommand = childCommand;
        this.jvmOptions = List.copyOf(jvmOptions);
        this.patience = patience;
    }

    /**
     * A check of the host around the timed rounds: whether it gives the cores at full speed
     * ({@link CoreScaling#probe}).
     */
    interface HostProbe extends AutoCloseable {

        /**
         * Checks the host now.
         *
         * @return about the probe's threads when every core ran at full speed, less when one was slower
         */
        double probe();

        /** Ends the probe's threads. */
        @Override
        void close();
    }

    /** Starts a {@link HostProbe}. */
    interface HostProbes {

        /**
         * Starts a probe.
         *
         * @param precision the bench's precision, the probe kernel's
         * @param threads the threads it runs on, at least 2
         * @return the probe, to be closed
         */
        HostProbe start(Precision precision, int threads);
    }

    /**
     * The compiler threads the timed rounds watch: this JVM's and the children's
     * ({@link CompilerThreads}); null for a test that gives its own clock and compiler time.
     */
    private CompilerThreads compilerThreads(List<Long> children) {
        if (!childrenCompile) {
            return null;
        }
        CompilerThreads compilers = CompilerThreads.ofThisJvmAnd(children);
        compilers.rehearse(System::nanoTime);
        return compilers;
    }

    /**
     * The milliseconds the JVM's JIT compiler threads have worked so far, summed over the threads;
     * always 0 where the JVM does not tell it (no compiler, as with {@code -Xint}, or no such
     * monitoring), so that the warm-up then waits for steady rates alone.
     */
    static long compilerMillis() {
        CompilationMXBean compiler = ManagementFactory.getCompilationMXBean();
        return compiler != null && compiler.isCompilationTimeMonitoringSupported()
                ? compiler.getTotalCompilationTime() : 0;
    }

    /**
     * One thing measured: an engine and, as the engines grow them, its settings (precision,
     * threads). Its {@link #name} is the engine entry's name in the report.
     *
     * @param engine the engine
     * @param precision the precision the model computes in
     * @param threads the threads of one training step of the array engine (the Value engine has one)
     */
    record Contender(Engine engine, Precision precision, int threads) {

        /** The Value engine runs on the calling thread whatever {@code --threads} says. */
        Contender {
            if (engine == Engine.VALUE) {
                threads = 1;
            }
        }

        /**
         * The name in the report: the engine's id, with its precision where it is not the default.
         *
         * @return for example {@code "array"} or {@code "array-f32"}
         */
        String name() {
            return precision == Precision.F64 ? engine.id() : engine.id() + "-" + precision.id();
        }

        LanguageModel create(GptConfig config, int vocabSize, PythonRandom random) {
            LanguageModel model = engine.create(config, vocabSize, random, precision);
            if (model instanceof ArrayGptModel array) {
                array.setThreads(threads);
            }
            return model;
        }

        StepEvent step(Trainer trainer) {
            return trainer.step(StepMode.DOCUMENT);
        }
    }

    /**
     * Where a trainer runs Adam's update in a step of one document with no listener
     * ({@link StepMode#DOCUMENT}, as {@link Contender#step}), for this model and optimizer. The
     * decision is the core's, and internal to it; this asks the questions the trainer asks
     * ({@code Trainer.fusedStep}: {@link FusedStep#fusing}, then the optimizer), so that the
     * bench reports what its timed steps did rather than a copy of the rules: inside the backward pass when the model's parameters offer a fused step
     * that fuses as the model is set up (the array engine's: always in f32; in f64 on at most two
     * threads, or on any number with the Vector API kernels) and the optimizer prepares an update
     * for them (not for f64 rows it stages, the reference model's short ones). Asking prepares
     * the optimizer's moments for the model, as its first step would.
     *
     * @param model the model the steps train
     * @param optimizer the optimizer that updates it
     * @return inside the backward pass, or after it
     */
    static MemoryBandwidth.UpdatePlace updatePlace(LanguageModel model, AdamOptimizer optimizer) {
        Parameters parameters = model.parameters();
        boolean inside = FusedStep.fusing(parameters) != null
                && FusedUpdates.prepare(optimizer, parameters, 0, 1) != null;
        return inside ? MemoryBandwidth.UpdatePlace.INSIDE_BACKWARD_PASS
                : MemoryBandwidth.UpdatePlace.AFTER_BACKWARD_PASS;
    }

    /**
     * What the engines are measured on.
     *
     * @param config the model size
     * @param tokenizer the characters
     * @param docs the documents, cycled through one per step
     * @param reference whether this is microgpt.py's run: the shuffled names at the reference size
     * @param learningRate Adam's learning rate, the same for every step: {@code --lr},
     *     or by default microgpt.py's on the names and {@link #RANDOM_DOCUMENTS_LEARNING_RATE} on
     *     random letters
     */
    record Workload(GptConfig config, Tokenizer tokenizer, List<String> docs, boolean reference,
            double learningRate) {

        /** The reference run: the embedded names, shuffled with seed 42, at the reference size and rate. */
        static Workload referenceRun() {
            return referenceRun(AdamSettings.defaults().learningRate());
        }

        /**
         * The reference run at a learning rate of one's own ({@code --lr}).
         *
         * @param learningRate Adam's learning rate
         * @return the workload
         */
        static Workload referenceRun(double learningRate) {
            List<String> docs = new ArrayList<>(Documents.embeddedNames());
            new PythonRandom(42).shuffle(docs);
            return new Workload(GptConfig.defaults(), Tokenizer.fromDocuments(docs), docs, true, learningRate);
        }

        /** Documents of {@code blockSize} random letters, so that every step trains the whole context. */
        static Workload randomLetters(GptConfig config) {
            return randomLetters(config, RANDOM_DOCUMENTS_LEARNING_RATE);
        }

        /**
         * Documents of {@code blockSize} random letters, trained at a learning rate of one's own
         * ({@code --lr}).
         *
         * @param config the model size
         * @param learningRate Adam's learning rate
         * @return the workload
         */
        static Workload randomLetters(GptConfig config, double learningRate) {
            PythonRandom random = new PythonRandom(7);
            List<String> docs = new ArrayList<>(RANDOM_DOCUMENTS);
            for (int i = 0; i < RANDOM_DOCUMENTS; i++) {
                StringBuilder doc = new StringBuilder(config.blockSize());
                for (int j = 0; j < config.blockSize(); j++) {
                    doc.append((char) ('a' + random.randBelow(26)));
                }
                docs.add(doc.toString());
            }
            return new Workload(config, Tokenizer.ofCharacters("abcdefghijklmnopqrstuvwxyz"), docs, false,
                    learningRate);
        }

        /**
         * Whether a divergence would be a bug: microgpt.py's own run (its names, size and rate),
         * which never diverges. Elsewhere (random letters, or another rate) a loss may well
         * become infinite, and the model is then built again ({@link Runner}).
         */
        boolean divergenceIsABug() {
            return reference && learningRate == AdamSettings.defaults().learningRate();
        }

        /** The analytic operation count of a training step on each document. */
        long[] flopsPerDocument() {
            long[] flops = new long[docs.size()];
            for (int i = 0; i < flops.length; i++) {
                int positions = Math.min(config.blockSize(), tokenizer.encodeDocument(docs.get(i)).length - 1);
                flops[i] = FlopCount.trainingStep(config, tokenizer.vocabSize(), positions);
            }
            return flops;
        }

        long parameters() {
            return Architecture.GPT.numParameters(config, tokenizer.vocabSize());
        }

        String describe() {
            String size = (reference ? "reference configuration (" : "")
                    + config.nLayer() + (config.nLayer() == 1 ? " layer" : " layers") + ", nEmbd " + config.nEmbd()
                    + ", " + config.nHead() + (config.nHead() == 1 ? " head" : " heads") + ", block size "
                    + config.blockSize() + ", " + tokenizer.vocabSize() + " tokens, " + parameters() + " parameters"
                    + (reference ? ")" : "");
            // microgpt.py's rate is said only when another is chosen, as that line always read.
            return size + (reference ? ", embedded names, seed 42"
                    + (divergenceIsABug() ? "" : ", Adam at " + rate(learningRate))
                    : ", documents of " + config.blockSize() + " random letters, Adam at " + rate(learningRate));
        }
    }

    /**
     * A learning rate as a person writes it: {@code 0.01}, {@code 0.5}, {@code 2}; below 0.001
     * and from 10,000,000 on with an exponent, {@code 1e-4}, {@code 2.5e-5}, {@code 1e300} (Java
     * would write {@code 1.0E-4}).
     *
     * @param rate a positive, finite number
     * @return its shortest decimal form that reads back as the same double
     */
    static String rate(double rate) {
        BigDecimal decimal = new BigDecimal(Double.toString(rate)).stripTrailingZeros();
        int exponent = decimal.precision() - decimal.scale() - 1;
        if (exponent >= -3 && exponent < 7) {
            return decimal.toPlainString();
        }
        String digits = decimal.unscaledValue().abs().toString();
        return (decimal.signum() < 0 ? "-" : "") + digits.charAt(0)
                + (digits.length() > 1 ? "." + digits.substring(1) : "") + "e" + exponent;
    }

    /**
     * What was measured for one engine.
     *
     * @param engine the entry's name
     * @param precision the precision it computed in
     * @param threads the threads of its training step
     * @param stepsPerSecond training steps per second (the median slice)
     * @param gradientMillis milliseconds per step of that slice in the forward and backward passes
     *     (the loss and the gradients)
     * @param optimizerMillis milliseconds per step of that slice in the rest: Adam's update, which
     *     also resets the gradients
     * @param tokensPerSecond generated tokens per second (the median slice)
     * @param gflopsPerSecond the training steps' analytic operations per second
     * @param peak the peak its share is of: its precision, on its threads
     * @param firstLoss the loss of the first timed step (NaN if that step diverged)
     * @param lastLoss the loss of the last timed step (NaN if that step diverged)
     * @param timedDivergences the timed steps that diverged
     * @param divergences all its steps that diverged: warm-up, timed slices and phase split
     * @param allocatedBytesPerStep the heap bytes the threads that ran the timed steps allocated,
     *     over those steps ({@link CountRun#allocatedBytes}); NaN where the JVM that ran them
     *     cannot count each thread's allocation
     * @param updatePlace where the timed steps ran Adam's update ({@link CountRun#updatePlace})
     */
    record Result(String engine, Precision precision, int threads, double stepsPerSecond, double gradientMillis,
            double optimizerMillis, double tokensPerSecond, double gflopsPerSecond, PeakFlops.Peak peak,
            double firstLoss, double lastLoss, int timedDivergences, int divergences, double allocatedBytesPerStep,
            MemoryBandwidth.UpdatePlace updatePlace) {

        double shareOfPeak() {
            return gflopsPerSecond / peak.gflopsPerSecond();
        }
    }

    /**
     * Measures the engines and prints the table or the JSON object.
     *
     * @return the exit code, 0
     * @throws UsageException if an option is out of range
     * @throws CommandFailedException if memory runs out or stdout cannot be written
     */
    @Override
    public Integer call() {
        if (!(seconds > 0) || seconds > MAX_SECONDS) {
            throw new UsageException("--seconds must be positive and at most " + (int) MAX_SECONDS + ", got "
                    + PositiveNumber.typed(spec, "--seconds", seconds));
        }
        List<Integer> threadCounts = threadCounts(threadsText);
        Precision precision;
        try {
            precision = Precision.fromId(precisionName);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--precision: " + e.getMessage(), e);
        }
        Workload workload = workload();
        List<List<Contender>> groups = contenders(workload, precision, threadCounts);
        long parameters = workload.parameters();
        int positions = workload.config().blockSize();
        for (List<Contender> group : groups) {
            // Each model is alone in its JVM (a list's counts run in JVMs of their own, with this
            // JVM's options, so the same heap): its weights and moments, its threads' buffers and
            // one generated sequence at a time.
            for (Contender member : group) {
                int vocabSize = workload.tokenizer().vocabSize();
                long bytes = ModelMemory.bytes(member.engine(), member.precision(), Architecture.GPT,
                        workload.config(), vocabSize, parameters, positions);
                if (member.engine() == Engine.ARRAY) {
                    bytes = ModelMemory.saturatedSum(bytes, ModelMemory.arrayWorkspaceBytes(member.precision(),
                            workload.config(), vocabSize, member.threads()));
                    bytes = ModelMemory.saturatedSum(bytes,
                            ModelMemory.arrayGenerationBytes(member.precision(), workload.config(), vocabSize));
                }
                ModelMemory.check("the model (" + parameters + " parameters)", bytes,
                        ModelMemory.why(member.engine(), positions),
                        "choose smaller --n-embd, --n-layer or --block-size");
            }
        }
        CliContext context = parent.context();
        List<Result> results = new ArrayList<>();
        List<SpeedUp> speedUps = new ArrayList<>();
        MemoryBandwidth.Measurement memory;
        CoreScaling.Measurement compute;
        try {
            // The peaks first, each once, before the engines' threads and garbage share the JVM.
            Map<List<Object>, PeakFlops.Peak> peaks = new LinkedHashMap<>();
            for (List<Contender> group : groups) {
                for (Contender contender : group) {
                    peaks.computeIfAbsent(peakKey(contender),
                            key -> PeakFlops.measure(contender.precision(), contender.threads(), Math.min(1, seconds)));
                }
            }
            // The memory's bandwidth next, once, on one thread and on the runs' threads (MemoryBandwidth).
            List<Integer> threads = new ArrayList<>();
            for (List<Contender> group : groups) {
                for (Contender contender : group) {
                    threads.add(contender.threads());
                }
            }
            memory = MemoryBandwidth.measure(threads);
            // And the cores' own scaling, on work that needs no memory (CoreScaling): the ceiling of a speed-up.
            compute = CoreScaling.measure(precision, threads);
            for (List<Contender> group : groups) {
                List<PeakFlops.Peak> groupPeaks = new ArrayList<>();
                for (Contender contender : group) {
                    groupPeaks.add(peaks.get(peakKey(contender)));
                }
                Measured measured = measure(group, workload, groupPeaks);
                results.addAll(measured.results());
                speedUps.addAll(measured.speedUps());
            }
        } catch (OutOfMemoryError e) {
            throw new CommandFailedException("out of memory while measuring (give the JVM more, for example "
                    + "JAVA_OPTS=-Xmx4g)", CommandFailedException.FAILED, e);
        }
        boolean list = threadCounts.size() > 1;
        LineOutput out = new LineOutput(context.out());
        if (json) {
            out.line(toJson(results, list ? speedUps : null, memory, compute, workload));
        } else {
            printTable(out, results, list ? speedUps : null, memory, compute, workload);
        }
        out.flush();
        for (Result r : results) {
            String note = allocationNote(r, ArrayKernels.implementation());
            if (note != null) {
                context.err().println(note);
            }
        }
        for (SpeedUp speedUp : speedUps) {
            if (!speedUp.sameResults()) {
                // Not a usage error, and the times are still times; but the project's promise is broken.
                context.err().println("microgpt: warning: the " + speedUp.engine() + " models on "
                        + speedUp.baseThreads() + " and " + speedUp.threads() + " threads did not end in the "
                        + "same state after the same steps; a step's result must not depend on its threads");
            }
        }
        return 0;
    }

    /**
     * The thread counts of {@code --threads}: one number, or several separated by commas.
     *
     * @param text the option's value
     * @return the counts, in the order given
     * @throws UsageException naming what is wrong: an empty or non-numeric item, a count out of
     *     range, a count given twice, or more than {@link #MAX_THREAD_COUNTS} counts
     */
    static List<Integer> threadCounts(String text) {
        String[] items = text.split(",", -1);
        List<Integer> counts = new ArrayList<>();
        for (String item : items) {
            if (item.isEmpty()) {
                throw new UsageException("--threads: \"" + text + "\" has an empty thread count; give one "
                        + "number, or several separated by single commas, such as 1,2");
            }
            // The rule of every other integer option (WholeNumber): no +2, 02 or other scripts' digits.
            if (!NumberGrammar.isWhole(item)) {
                throw new UsageException("--threads: \"" + VisibleText.escape(item) + "\" is not a whole number; "
                        + "give one or several, separated by commas, in the digits 0-9 without a plus sign or "
                        + "leading zeros, such as 1,2");
            }
            // Compared as digits, so that a count too large for an int is out of range, not a crash.
            BigInteger value = new BigInteger(item);
            if (value.compareTo(BigInteger.ONE) < 0
                    || value.compareTo(BigInteger.valueOf(MAX_THREADS)) > 0) {
                throw new UsageException("--threads must be between 1 and " + MAX_THREADS + ", got " + item);
            }
            int count = value.intValue();
            if (counts.contains(count)) {
                throw new UsageException("--threads: " + count + " is given twice in " + text
                        + "; each thread count is measured once");
            }
            counts.add(count);
        }
        if (counts.size() > MAX_THREAD_COUNTS) {
            throw new UsageException("--threads: " + counts.size() + " thread counts; at most " + MAX_THREAD_COUNTS
                    + " are measured at once (each is a JVM with its model)");
        }
        return counts;
    }

    private static List<Object> peakKey(Contender contender) {
        return List.of(contender.precision(), PeakFlops.threadsMeasured(contender.threads()));
    }

    /** The reference run when no model option is given; otherwise that size on random letters. */
    private Workload workload() {
        if (learningRate != null) {
            PositiveNumber.requireAllowed(spec, "--lr", learningRate);
        }
        if (nLayer == null && nEmbd == null && nHead == null && blockSize == null) {
            return learningRate == null ? Workload.referenceRun() : Workload.referenceRun(learningRate);
        }
        GptConfig defaults = GptConfig.defaults();
        int layers = atLeastOne("--n-layer", nLayer, defaults.nLayer());
        int width = atLeastOne("--n-embd", nEmbd, defaults.nEmbd());
        int heads = atLeastOne("--n-head", nHead, defaults.nHead());
        int context = atLeastOne("--block-size", blockSize, defaults.blockSize());
        if (width % heads != 0) {
            throw new UsageException(TrainCommand.indivisibleWidth(width, nEmbd != null, heads, nHead != null, true));
        }
        // Counted in long arithmetic before any array is made: a typo must not overflow or exhaust memory.
        long d = width;
        long parameters = 2L * 27 * d + (long) context * d + layers * 12L * d * d;
        if (parameters > MAX_PARAMETERS) {
            throw new UsageException("the model would have " + parameters + " parameters; bench measures at most "
                    + MAX_PARAMETERS + " (choose smaller --n-embd, --n-layer or --block-size)");
        }
        return Workload.randomLetters(new GptConfig(layers, width, heads, context, defaults.initStd()),
                learningRate == null ? RANDOM_DOCUMENTS_LEARNING_RATE : learningRate);
    }

    private static int atLeastOne(String option, Integer value, int fallback) {
        if (value == null) {
            return fallback;
        }
        if (value < 1) {
            throw new UsageException(option + " must be at least 1, got " + value);
        }
        return value;
    }

    /**
     * The engines named by --engine (both by default; array only at a size the Value engine cannot
     * do), each at every thread count given: a group per engine, measured together. The Value engine
     * has one thread whatever the counts, so its group has one contender.
     */
    private List<List<Contender>> contenders(Workload workload, Precision precision, List<Integer> threadCounts) {
        long stepFlops = FlopCount.trainingStep(workload.config(), workload.tokenizer().vocabSize(),
                workload.config().blockSize());
        boolean valueFits = stepFlops <= MAX_VALUE_ENGINE_STEP_FLOPS;
        List<Engine> engines = new ArrayList<>();
        if (engineNames == null || engineNames.isEmpty()) {
            for (Engine engine : Engine.values()) {
                boolean valueRuns = valueFits && workload.reference() && precision == Precision.F64;
                if (engine != Engine.VALUE || valueRuns) {
                    engines.add(engine);
                }
            }
        } else {
            List<String> names = new ArrayList<>();
            for (String value : engineNames) {
                names.addAll(List.of(value.split(",", -1)));
            }
            for (String name : names) {
                Engine engine;
                try {
                    engine = Engine.fromId(name);
                } catch (IllegalArgumentException e) {
                    throw new UsageException("--engine: " + e.getMessage(), e);
                }
                if (engine == Engine.VALUE && !valueFits) {
                    throw new UsageException(String.format(Locale.ROOT, "--engine value: one training step at this "
                            + "size is %,d floating-point operations, a graph of about as many objects; the value "
                            + "engine is measured up to %,d (use --engine array)", stepFlops,
                            MAX_VALUE_ENGINE_STEP_FLOPS));
                }
                if (engine == Engine.VALUE && precision != Precision.F64) {
                    throw new UsageException("--engine value: the value engine computes in f64 only, not "
                            + precision.id() + " (use --engine array)");
                }
                if (engines.contains(engine)) {
                    throw new UsageException("--engine: " + name + " is named twice");
                }
                engines.add(engine);
            }
        }
        List<List<Contender>> groups = new ArrayList<>();
        for (Engine engine : engines) {
            List<Contender> group = new ArrayList<>();
            for (int threads : threadCounts) {
                Contender contender = new Contender(engine, precision, threads);
                if (!group.contains(contender)) {
                    group.add(contender);
                }
            }
            groups.add(group);
        }
        return groups;
    }

    /**
     * Measures one engine at each of its thread counts: one count in this JVM, as a separate run
     * measures it; each count of a list in a JVM of its own ({@link BenchChild}), started with this
     * JVM's java, options and class path, so that a list measures what separate runs of each count
     * measure (see the class comment for what one shared JVM did instead). The children are ended
     * however the measurement ends.
     */
    private Measured measure(List<Contender> group, Workload workload, List<PeakFlops.Peak> peaks) {
        if (group.size() == 1) {
            return measure(group, workload, peaks, new CountRun[] {new Runner(group.get(0), workload, clock)},
                    compilerMillis, compilerThreads(List.of()));
        }
        List<BenchChild.Remote> children = new ArrayList<>();
        BenchChild.JvmOptions options = BenchChild.JvmOptions.forChildren(jvmOptions);
        options.notes().forEach(parent.context().err()::println);
        try {
            for (Contender contender : group) {
                children.add(BenchChild.Remote.start(contender, workload,
                        childCommand.command(contender, workload, options.passed()), parent.context().err(), patience));
            }
            for (BenchChild.Remote child : children) {
                child.awaitReady();
            }
            // The warm-up waits for every JIT compiler that could take a core from the slices: this
            // JVM's and the children's.
            LongSupplier allCompilers = !childrenCompile ? compilerMillis : () -> {
                long total = compilerMillis.getAsLong();
                for (BenchChild.Remote child : children) {
                    total += child.compilerMillis();
                }
                return total;
            };
            List<Long> pids = new ArrayList<>();
            for (BenchChild.Remote child : children) {
                pids.add(child.pid());
            }
            Measured measured = measure(group, workload, peaks, children.toArray(CountRun[]::new), allCompilers,
                    compilerThreads(pids));
            for (BenchChild.Remote child : children) {
                child.finish();
            }
            return measured;
        } finally {
            for (BenchChild.Remote child : children) {
                child.close();
            }
        }
    }

    /**
     * Measures one engine's thread counts, each {@code runs[i]} (in this JVM or a child), warmed up
     * together and then timed in alternated rounds.
     *
     * <p>Every count runs the same steps: the same number in each round, on the same documents,
     * from the same initial weights. So a round's slices time the same work, and the models must
     * end every round in the same state whatever their threads ({@link ArrayGptModel#setThreads}
     * changes no bit); the last loss of each round and the final weights are compared, and
     * {@link SpeedUp#sameResults} says whether they agreed.
     */
    private Measured measure(List<Contender> group, Workload workload, List<PeakFlops.Peak> peaks, CountRun[] runs,
            LongSupplier compilerTime, CompilerThreads compilers) {
        int most = 1;
        for (Contender contender : group) {
            most = Math.max(most, PeakFlops.threadsMeasured(contender.threads()));
        }
        // The host's check around every timed round (CoreScaling.probe), on as many threads as the
        // largest count uses: only for a list, only where that is more than one thread.
        if (group.size() < 2 || most < 2 || hostProbes == null) {
            return measure(group, workload, peaks, runs, compilerTime, compilers, null, 0);
        }
        HostProbe probe = hostProbes.start(group.get(0).precision(), most);
        try {
            return measure(group, workload, peaks, runs, compilerTime, compilers, probe, most);
        } finally {
            probe.close();
        }
    }

    /**
     * {@link #measure(List, Workload, List, CountRun[], LongSupplier, CompilerThreads)} with the
     * host's check, if any.
     *
     * @param hostProbe the host's check before each timed slice and after each round; null for none
     * @param hostProbeThreads the threads it runs on
     */
    private Measured measure(List<Contender> group, Workload workload, List<PeakFlops.Peak> peaks, CountRun[] runs,
            LongSupplier compilerTime, CompilerThreads compilers, HostProbe hostProbe, int hostProbeThreads) {
        int counts = group.size();
        long[] flopsPerDocument = workload.flopsPerDocument();
        int documents = workload.docs().size();

        // Warm-up and measurement (Rounds.time): every count runs the same steps in every round.
        // The hooks run them on the models, note the operations of each measured round (the same
        // documents for every count) and compare the models' last losses after it.
        boolean[] roundsAgree = {true};
        List<Long> roundFlops = new ArrayList<>();
        // The loss of each count's first and last timed step, and the divergences: in the timed
        // slices, and seen so far in all (which say when a note is due).
        Long[] firstLossBits = new Long[counts];
        long[] lastLossBits = new long[counts];
        int[] timedDivergences = new int[counts];
        int[] divergencesSeen = new int[counts];
        Rounds.Slices slices = new Rounds.Slices() {
            @Override
            public long warm(int i, long steps, boolean listening) {
                long rebuilt = runs[i].rebuildNanos();
                runs[i].warm(steps, listening);
                noteDivergence(group.get(i), runs[i], divergencesSeen, i);
                return runs[i].rebuildNanos() - rebuilt;
            }

            @Override
            public void roundStarts(long steps) {
                long flops = 0;
                int first = runs[0].stepsDone();
                for (long s = 0; s < steps; s++) {
                    flops += flopsPerDocument[(int) ((first + s) % documents)];
                }
                roundFlops.add(flops);
            }

            @Override
            public long run(int i, long steps) {
                long rebuilt = runs[i].rebuildNanos();
                int divergedBefore = runs[i].divergences();
                runs[i].run(steps);
                if (firstLossBits[i] == null) {
                    firstLossBits[i] = runs[i].firstLossBits();
                }
                lastLossBits[i] = runs[i].lastLossBits();
                timedDivergences[i] += runs[i].divergences() - divergedBefore;
                noteDivergence(group.get(i), runs[i], divergencesSeen, i);
                return runs[i].rebuildNanos() - rebuilt;
            }

            @Override
            public void roundEnds() {
                roundsAgree[0] &= sameLastLoss(runs);
            }

            @Override
            public void settle() {
                if (compilers != null) {
                    compilers.awaitQuiet(clock);
                }
            }

            @Override
            public long compilerNanos() {
                return compilers == null ? -1 : compilers.nanos();
            }

            @Override
            public double hostProbe() {
                return hostProbe == null ? Double.NaN : hostProbe.probe();
            }

            @Override
            public int hostProbeThreads() {
                return hostProbe == null ? 0 : hostProbeThreads;
            }
        };
        Rounds.Timing timing = Rounds.time(counts, seconds, clock, compilerTime, slices);
        long stepsPerSlice = timing.stepsPerSlice();
        boolean sameResults = roundsAgree[0];

        // The phase split, from a short slice of its own with a gradient listener (Phases), so that
        // the slices above time what `train` runs, with no listener at all.
        long phaseSteps = Math.max(1, stepsPerSlice / 2);
        double[] gradientNanos = new double[counts];
        double[] optimizerNanos = new double[counts];
        for (int phaseRound = 0; phaseRound < PHASE_ROUNDS; phaseRound++) {
            for (int i : order(counts, phaseRound)) {
                long[] split = runs[i].phases(phaseSteps);
                noteDivergence(group.get(i), runs[i], divergencesSeen, i);
                gradientNanos[i] += split[0];
                optimizerNanos[i] += split[1];
            }
            sameResults &= sameLastLoss(runs);
        }
        sameResults &= sameWeights(runs);

        // Generation, likewise alternated: time slices, as a token's work varies with its position.
        long tokenSliceNanos = Math.max(1, nanos(seconds) / counts / SLICES);
        for (CountRun run : runs) {
            run.generate(nanos(seconds / 2) / counts);
        }
        double[][] tokenRates = new double[counts][SLICES];
        for (int slice = 0; slice < SLICES; slice++) {
            for (int i : order(counts, slice)) {
                long[] generated = runs[i].generate(tokenSliceNanos);
                tokenRates[i][slice] = generated[0] / secondsOf(generated[1]);
            }
        }

        List<Result> results = new ArrayList<>();
        for (int i = 0; i < counts; i++) {
            Contender contender = group.get(i);
            double[] steps = timing.stepsPerSecond(i);
            int[] counted = timing.counted();
            double[] gflops = new double[steps.length];
            for (int r = 0; r < gflops.length; r++) {
                // A round's operations at this count's rate: every count ran the same documents.
                gflops[r] = roundFlops.get(counted[r]) * steps[r] / stepsPerSlice / 1e9;
            }
            double total = PHASE_ROUNDS * phaseSteps;
            // Every timed slice ran stepsPerSlice steps, and only they are counted (CountRun.allocatedBytes).
            long allocated = runs[i].allocatedBytes();
            double allocatedPerStep = allocated < 0 ? Double.NaN
                    : (double) allocated / ((long) timing.rounds() * stepsPerSlice);
            results.add(new Result(contender.name(), contender.precision(), contender.threads(), median(steps),
                    gradientNanos[i] / 1e6 / total, optimizerNanos[i] / 1e6 / total, median(tokenRates[i]),
                    median(gflops), peaks.get(i), Double.longBitsToDouble(firstLossBits[i]),
                    Double.longBitsToDouble(lastLossBits[i]), timedDivergences[i], runs[i].divergences(),
                    allocatedPerStep, runs[i].updatePlace()));
        }
        List<SpeedUp> speedUps = new ArrayList<>();
        for (int i = 1; i < counts; i++) {
            speedUps.add(new SpeedUp(group.get(i).name(), group.get(i).precision(), group.get(i).threads(),
                    group.get(0).threads(), timing.ratios(i), stepsPerSlice, timing.warmNanos() / 1e9, timing.settled(),
                    sameResults, timing.roundsSetAside(), median(timing.ratiosOfEveryRound(i)),
                    Host.of(timing, hostProbeThreads, i)));
        }
        return new Measured(results, speedUps);
    }

    /**
     * Writes one line on stderr when count {@code i}'s model diverged for the first time (later
     * divergences are counted, in the table and the JSON, not written one by one).
     */
    private void noteDivergence(Contender contender, CountRun run, int[] seen, int i) {
        int divergences = run.divergences();
        if (seen[i] == 0 && divergences > 0) {
            parent.context().err().println("microgpt: note: the loss of " + contender.name() + " on "
                    + threadCount(contender.threads()) + " diverged (NaN or infinite); the model is rebuilt from its seed each time it does, "
                    + "outside the timed steps, and the divergences are counted");
        }
        seen[i] = divergences;
    }

    /** The rounds a measurement of {@code seconds} is cut into: slices of about SLICE_SECONDS, at least SLICES. */
    static int targetRounds(double seconds, int counts) {
        return (int) Math.max(SLICES, Math.min(MAX_ROUNDS, Math.round(seconds / counts / SLICE_SECONDS)));
    }

    /** The order of round {@code round}: the counts as given in even rounds, reversed in odd ones. */
    static int[] order(int counts, int round) {
        int[] order = new int[counts];
        for (int i = 0; i < counts; i++) {
            order[i] = round % 2 == 0 ? i : counts - 1 - i;
        }
        return order;
    }

    /**
     * The warm-up and the timed rounds of one engine's thread counts, apart from the models and
     * what is reported, so that a test can drive them with a clock of its own and steps that take
     * a known time ({@code BenchRoundsTest}). Every count runs the same steps in every round, warm
     * or timed, in the order of {@link #order}; nothing here looks at which count is faster.
     *
     * <p><b>The warm-up</b> runs rounds of a chunk of steps, the chunk doubling from one step (a
     * large model's step is tens of milliseconds) while a round's slices last less than an eighth of
     * {@code --seconds} (a small model's is tens of microseconds). Each slice starts as a timed
     * one does, after {@link Slices#settle}, so that the code which waits for the compilers and
     * reads their time (in this JVM: {@link CompilerThreads}, which lists and reads files under
     * {@code /proc}) is compiled in the warm-up too, not in the timed rounds. Every fourth round has the
     * phase split's gradient listener, so that the JIT has compiled that path too before anything
     * is timed: seen for the first time after the warm-up, it sent the compiled step back to the
     * interpreter, and the phase split of microgpt-vector's kernels came out 40% slow. The warm-up
     * ends after a round without the listener that
     * <ul>
     * <li>ends at least {@code --seconds} after the warm-up began,
     * <li>ran each count at a rate within {@link #STEADY} (10%) of its rate in the round without
     *     the listener before it: the rates have stopped changing, and
     * <li>ends a stretch of at least {@link #QUIET_WINDOW} (half a second, or {@code --seconds}
     *     if shorter; the rounds since some round's end) in which the JIT compiler threads of the JVMs measured worked for at most
     *     {@link #QUIET_COMPILER} (5%) of the time, read from their processor time
     *     ({@link Slices#compilerNanos}, {@link CompilerThreads}) at the end of every round: the
     *     hot code is compiled, and no compiler thread takes a core from the slices. Where that
     *     time cannot be read, the round itself must have left the compiler busy for at most 5%
     *     of its time as the JVM tells it
     *     ({@link java.lang.management.CompilationMXBean#getTotalCompilationTime}),
     * </ul>
     * or, if that never happens, after the first round without the listener that ends
     * {@link #WARM_UP_LIMIT} times {@code --seconds} after the end of the warm-up's first round
     * ({@link Timing#settled} is then false). Why: a large model's first step runs in the
     * interpreter (3–4 s at nEmbd 256 in f64, where later steps take 40 ms), and a warm-up that
     * ended as soon as {@code --seconds} had passed was one round of that step; its rate made
     * slices of one step, and the first ten or so rounds were timed while the compiler still
     * compiled the threads' code on one of the machine's two cores, where two threads ran no
     * faster than one.
     *
     * <p><b>Why the limit runs from the end of the first round.</b> That first step can outlast
     * the whole limit: with microgpt-vector's kernels, which run in the interpreter and in the
     * quick compiler's code as objects, one per vector, until the optimising compiler has
     * compiled them, the first step of nEmbd 256, 4 layers, 8 heads, block 64 in f32 took 14.9 s
     * on one thread (6 December 2026, a 2-vCPU AMD EPYC shared with other tenants, both
     * children compiling at once), past a limit of 12 s counted from the start. The warm-up was
     * then that one round, its rate of 0.13 steps/s made slices of one step (25-50 ms), and the
     * timed rounds did the warm-up's work: 56 of 76 were set aside for the compilers, and the
     * figure came from 20 rounds timed while code was still being compiled. Counted from the end
     * of the first round, the limit gives the compiled code its 4 x {@code --seconds} wherever
     * the first step falls; a model whose first step is short (all but the largest) warms up as
     * long as before.
     *
     * <p><b>Why the waits before the warm-up's slices.</b> The bench's own JVM compiles too: the
     * reading of the compiler threads' time ran once a warm-up round, but thousands of times in
     * the timed rounds (every millisecond of each wait before a slice), so it was compiled there,
     * on the core a two-thread slice needs. In the run above, the bench's JVM compiled in 10 of the
     * 76 timed rounds for 40-90 ms each (the optimising compiler's on-stack-replacement compile of
     * {@link CompilerThreads#nanos} alone for about 0.7 s), and in an f64 run it compiled 299
     * methods in 344 ms of its compiler threads' time during the timed rounds, nearly all of them
     * the listing, reading and parsing of files under {@code /proc}. Those rounds were set
     * aside, as they must be: the compiler took a core from them. The waits in the warm-up alone
     * did not call the reading often enough for the optimising compiler, whose compiles of it
     * then still fell in the timed rounds (0.2 s each, 4 of 22 rounds set aside), so the reader
     * is also rehearsed before the warm-up ({@link CompilerThreads#rehearse}); after both, the
     * bench's JVM compiled for at most 10 ms of any timed round of such a run, and the rounds set
     * aside were those where a child compiled its step's code.
     *
     * <p><b>Why the compiler threads' own time, and over half a second.</b> HotSpot adds a
     * compile's time to {@code getTotalCompilationTime} only when the compile ends
     * ({@code CompileBroker::collect_statistics}), so a round shorter than a compile reads quiet
     * while a compiler works beside it. Polled every millisecond in a bench of microgpt.py's
     * reference model (5 December 2026, 2 cores, {@code --seconds 1}), it stayed at 895 ms for
     * 534 ms while the compiler threads ran for 391 ms, then jumped to 1,378; C2 compiles that
     * model's backward pass for 0.23-0.36 s, and often a second time after a trap, with
     * quieter gaps between: a round of 0.26 s with 6 ms of compiling, after rounds with 34 and
     * 51 ms, read quiet and ended the warm-up. The processor time of the compiler threads grows
     * while they work, and half a second of it spans such gaps.
     *
     * <p><b>The slices</b> are sized from the last warm-up round: {@code --seconds} shared by the
     * counts and cut into {@link BenchCommand#targetRounds} rounds, at the slowest count's rate,
     * at least one step; every count runs that many steps in every round. The rounds go on until
     * {@code --seconds} has passed, at least {@link BenchCommand#SLICES} of them.
     *
     * <p><b>The JIT compiler in the timed rounds.</b> Before each timed slice the rounds wait
     * (outside its time, at most a tenth of a second) until no JIT compiler thread of the JVMs
     * measured is working ({@link Slices#settle}), and they read those threads' processor time
     * before and after it ({@link Slices#compilerNanos}, {@link CompilerThreads}). A round whose
     * slices had the compilers working for more than {@link #QUIET_ROUND} (2%) of their time is
     * set aside: if at least {@link BenchCommand#SLICES} rounds were not, the figures are made of
     * those alone ({@link Timing#counted}); the rounds go on past {@code --seconds} for that, up to
     * {@link #MEASURE_LIMIT} times it, and if there are still too few every round is counted.
     * Why: a compiler on a two-core machine takes its core from a slice on two threads and costs
     * a slice on one thread nothing, so each round it disturbs reads a lower speed-up than the
     * steady speeds of a long run of each count (which compiles the same methods once, early).
     * Measured on 5 December 2026 at nEmbd 256, 4 layers, 8 heads, block 64, f64, 2 cores (the
     * children's threads' processor time read at the edges of every slice, 4 runs): after a
     * warm-up that had settled, the children's compilers still worked during 10-35% of the slices
     * on two threads for 5 ms or more, and those slices ran 9-16% slower than the slices with
     * less than 1 ms; slices on one thread did not slow down ({@link CompilerThreads}). The
     * other things a slice could lose a core to were measured too, and left as they are: during a
     * two-thread slice the waiting one-thread JVM used 0.1-0.4 ms of processor time on average,
     * and during a one-thread slice the waiting two-thread JVM 0.5-4 ms (its step helper spinning
     * before it parks, and housekeeping) on the core that slice leaves free; stopping the waiting
     * JVM with SIGSTOP for half the rounds of a run changed nothing (median 1.56 stopped, 1.61
     * not; in another run 1.69 and 1.71). The first slice after another JVM's ran about 2% slower
     * than the next ones, on one thread as on two, which leaves the ratio as it is; and a
     * two-thread model whose slices of 10 steps each waited 150 ms idle after them ran as fast as
     * one whose slices ran back to back, as a long run's do (37.3 and 37.5 steps/s, 36 slices
     * each, in one JVM, the two kinds alternated in blocks of 6), so waiting for one's turn does
     * not favour either count. Other programs on the machine do lower the ratio, much: with one
     * core busy elsewhere, slices on two threads ran at about half their speed and those on one
     * thread 10-20% slower.
     *
     * <p><b>The host in the timed rounds.</b> Such other work need not be visible from inside the
     * machine: on a virtual machine another tenant on the physical core under a vCPU slows it
     * without any steal time. So before each timed slice (after {@link Slices#settle}) and after
     * each round's last one, the rounds check the host ({@link Slices#hostProbe},
     * {@link CoreScaling#probe}: 2 ms of register-bound multiply-adds on one thread alone, then
     * twice on as many threads as the largest count uses, at once, the quicker of the two kept:
     * one thread's hiccup of a millisecond is not the host's slowdown), and a round whose lowest
     * reading ({@link #lowestProbe}) is below {@link #FULL_CORES} of those threads (1.8 on two) is
     * set aside as a compiler-disturbed one is; the rounds go on for it alike, up to
     * {@link #MEASURE_LIMIT} times {@code --seconds} in all (the timed rounds' time, counted from
     * the first one's start). A round that both disturbed counts as the compiler's. Where fewer
     * than {@link BenchCommand#SLICES} rounds are left by that limit, the host's rule is dropped
     * (the rounds without a compiler count), since a machine that never gave full cores still ran
     * the steps; the line then says plainly that its figure measures the host, not the program,
     * with the rounds that had full cores and what they read ({@link Host}).
     *
     * <p><b>Why the lowest reading.</b> The probes take a few milliseconds of a round of half a
     * second or more, so they see a slowdown only if it lasts until one of them; each slice has
     * one just before it and one just after, and a low one on either side is the best sign there
     * is that the slice ran short of cores. Until 7 December 2026 a round was judged by the median
     * of its readings, which let a slowdown seen by one of the three count. Measured that day
     * (2 vCPUs, Zen 5, 98 rounds of a pure multiply-add load alternated on one thread and two,
     * whose true ratio is 2.0, with the bench's probes around its slices): of the 18 rounds whose
     * ratio was more than 5% off 2.0 (1.27-1.80, 2.18-2.35), the median rule set aside 10 and
     * the lowest reading 15; of the 28 rounds the median rule counted, 8 were such rounds, of the
     * 18 the lowest reading counted, 3. What no probe can see is a slowdown that begins after the
     * probe before a slice and ends before the one after it.
     *
     * <p><b>A divergence</b> (random letters at a rate or size where the loss becomes infinite)
     * rebuilds the model inside a slice ({@link Runner}); the hooks return how long that took, and
     * it is taken out of the slice's time (and out of a warm-up chunk's), so that a slice's time is
     * its steps' alone. Every count diverges at the same step, so the rounds still pair the same
     * work. The wall-clock measurement of {@code --seconds} does include it: a run that diverges
     * often has fewer rounds, not slower ones.
     */
    static final class Rounds {

        /** The most a warm-up lasts, in multiples of {@code --seconds}, when it does not settle first. */
        static final int WARM_UP_LIMIT = 4;

        /**
         * The largest share of the time the JIT compilers may have worked for the warm-up to end:
         * of the last {@link #QUIET_WINDOW} or more (compiler threads' processor time), or, where
         * that cannot be read, of the last round (the compilation time the JVM reports).
         */
        static final double QUIET_COMPILER = 0.05;

        /**
         * The least time, in nanoseconds, over which the JIT compiler threads must have been quiet
         * for the warm-up to end: longer than a gap between two compiles of the reference model's
         * step (see the class comment); {@code --seconds} where that is shorter.
         */
        static final long QUIET_WINDOW = 500_000_000L;

        /** The largest change of a count's rate from one warm-up round to the next for the warm-up to end. */
        static final double STEADY = 0.10;

        /**
         * The most processor time the JIT compilers of the JVMs measured may use during a timed
         * round, as a share of its slices' time, for the round to be counted (see the class comment).
         */
        static final double QUIET_ROUND = 0.02;

        /**
         * The rule on the JIT compilers in a timed round, for the step rounds and for the control
         * measurements' ({@link ControlRounds}): whether their processor time during it was at most
         * {@link #QUIET_ROUND} of its wall time, so that the round counts.
         *
         * @param compilerNanos the compiler threads' processor time during the round
         * @param wallNanos the round's wall time (its slices')
         * @return true if the round counts
         */
        static boolean quietRound(long compilerNanos, double wallNanos) {
            return compilerNanos <= QUIET_ROUND * wallNanos;
        }

        /**
         * The longest the timed rounds go on, in multiples of {@code --seconds}, to have
         * {@link BenchCommand#SLICES} rounds without the JIT compiler.
         */
        static final int MEASURE_LIMIT = 3;

        /**
         * The least share of its threads' full speed the host probe ({@link Slices#hostProbe},
         * {@link CoreScaling#probe}) must read before and after every slice of a timed round for
         * the round to be counted: below it, a core was partly taken by other work on the machine.
         */
        static final double FULL_CORES = 0.9;

        private Rounds() {
        }

        /** What the rounds run: steps of one count's model, and hooks around each timed round. */
        interface Slices {

            /**
             * Runs a warm-up chunk of count {@code i}.
             *
             * @param i the count, an index into the counts given
             * @param steps the steps to run
             * @param listening whether with the phase split's gradient listener
             * @return the nanoseconds of the chunk that were not steps, to be left out of its time:
             *     building the model again after a divergence ({@link CountRun#rebuildNanos}), else 0
             */
            long warm(int i, long steps, boolean listening);

            /**
             * Called before each timed round; every count then runs {@code steps} steps.
             *
             * @param steps the steps of each slice of the round
             */
            default void roundStarts(long steps) {
            }

            /**
             * Runs a timed slice of count {@code i}, as {@code train} runs its steps.
             *
             * @param i the count
             * @param steps the steps to run
             * @return the nanoseconds of the slice that were not steps, to be left out of its time:
             *     building the model again after a divergence ({@link CountRun#rebuildNanos}), else 0
             */
            long run(int i, long steps);

            /** Called after each timed round, once every count has run its slice. */
            default void roundEnds() {
            }

            /**
             * Called before each timed slice, outside its time: waits until no JIT compiler of
             * the JVMs measured is working ({@link CompilerThreads#awaitQuiet}), so that work
             * queued by one slice does not run in the next.
             */
            default void settle() {
            }

            /**
             * The processor time the JIT compiler threads of all the JVMs measured have used so
             * far ({@link CompilerThreads#nanos}), read at the warm-up's start, at the end of each
             * warm-up round, and before and after each timed slice.
             *
             * @return nanoseconds, or -1 where it cannot be read (then no round is set aside)
             */
            default long compilerNanos() {
                return -1;
            }

            /**
             * Called before each timed slice (after {@link #settle}) and after each timed round's
             * last one, outside their time: checks whether the machine gives every core the probe
             * runs on at full speed ({@link CoreScaling#probe}).
             *
             * @return the probe's figure, about {@link #hostProbeThreads} when it does; NaN where
             *     there is no probe (then no round is set aside for it)
             */
            default double hostProbe() {
                return Double.NaN;
            }

            /**
             * The threads {@link #hostProbe} runs on: the most the counts use, at most the processors.
             *
             * @return a thread count, 0 where there is no probe
             */
            default int hostProbeThreads() {
                return 0;
            }
        }

        /**
         * How the rounds went.
         *
         * @param warmRounds the warm-up's rounds
         * @param warmNanos the warm-up's time
         * @param settled whether the warm-up ended because the rates were steady and the compiler
         *     quiet, rather than at {@link #WARM_UP_LIMIT}
         * @param warmRates each count's steps/s in the last warm-up round, which sized the slices
         * @param stepsPerSlice the steps every count ran in each timed round
         * @param sliceNanos for each timed round, each count's time for its slice
         * @param setAside for each timed round, whether a JIT compiler worked during its slices
         *     for more than {@link #QUIET_ROUND} of their time
         * @param hostProbes for each timed round, the lowest of the host probe's readings before
         *     its slices and after them ({@link Slices#hostProbe}); NaN where there is no probe
         * @param hostLeast the least host probe figure of a counted round ({@link #hostLeast});
         *     NaN where there is no probe
         * @param roundsNanos the timed rounds' wall time, from the first's start to the last's end,
         *     the waits and probes between slices included
         * @param limitNanos how long the timed rounds could go on for rounds without a JIT compiler
         *     and with full cores: {@link #MEASURE_LIMIT} times {@code --seconds}
         */
        record Timing(int warmRounds, long warmNanos, boolean settled, double[] warmRates, long stepsPerSlice,
                List<long[]> sliceNanos, boolean[] setAside, double[] hostProbes, double hostLeast, long roundsNanos,
                long limitNanos) {

            /** The number of timed rounds, counted or set aside. */
            int rounds() {
                return sliceNanos.size();
            }

            /**
             * Whether the machine gave less than full cores during round {@code r}: its host probe
             * read below {@link #hostLeast}.
             *
             * @param r a timed round
             * @return false where there is no probe
             */
            boolean hostSlow(int r) {
                return hostProbes[r] < hostLeast;
            }

            /**
             * The rounds the figures are made of, in the order run: those during which no JIT
             * compiler worked and the host gave full cores, if there are at least
             * {@link BenchCommand#SLICES} of them; otherwise, if there are that many, those during
             * which no JIT compiler worked (the host's rule is then not applied:
             * {@link #hostRuleApplied}); otherwise every round.
             *
             * @return indices into {@link #sliceNanos}
             */
            int[] counted() {
                int[] quiet = full();
                if (quiet.length >= SLICES) {
                    return quiet;
                }
                int[] compiled = IntStream.range(0, rounds()).filter(r -> !setAside[r]).toArray();
                return compiled.length >= SLICES ? compiled : IntStream.range(0, rounds()).toArray();
            }

            /**
             * The rounds during which no JIT compiler worked and the host gave full cores, in the
             * order run: what the figures are made of where there are at least
             * {@link BenchCommand#SLICES} of them.
             *
             * @return indices into {@link #sliceNanos}
             */
            int[] full() {
                return IntStream.range(0, rounds()).filter(r -> !setAside[r] && !hostSlow(r)).toArray();
            }

            /**
             * Whether the rounds where the host gave less than full cores were left out: there
             * were at least {@link BenchCommand#SLICES} others without a JIT compiler.
             *
             * @return true also where no round was slow or there is no probe
             */
            boolean hostRuleApplied() {
                return full().length >= SLICES || roundsHostSlow() == 0;
            }

            /**
             * The rounds left out of the figures, because a JIT compiler worked during them or
             * the host gave less than full cores.
             *
             * @return {@link #rounds} less the {@link #counted} ones
             */
            int roundsSetAside() {
                return rounds() - counted().length;
            }

            /**
             * The rounds left out of the figures because the host gave less than full cores
             * (and no JIT compiler worked during them: those count as the compiler's).
             *
             * @return a part of {@link #roundsSetAside}
             */
            int roundsSetAsideForHost() {
                if (counted().length == rounds()) {
                    return 0;
                }
                return hostRuleApplied() ? roundsHostSlow() : 0;
            }

            /**
             * The rounds during which no JIT compiler worked and the host gave less than full
             * cores, whether or not they were left out.
             *
             * @return a count of rounds
             */
            int roundsHostSlow() {
                return (int) IntStream.range(0, rounds()).filter(r -> !setAside[r] && hostSlow(r)).count();
            }

            /**
             * Count {@code i}'s training steps per second in each {@link #counted} round.
             *
             * @param i the count
             * @return a rate per round
             */
            double[] stepsPerSecond(int i) {
                int[] counted = counted();
                double[] rates = new double[counted.length];
                for (int r = 0; r < rates.length; r++) {
                    rates[r] = stepsPerSlice / secondsOf(sliceNanos.get(counted[r])[i]);
                }
                return rates;
            }

            /**
             * Count {@code i}'s steps/s over the first count's in each {@link #counted} round: as both ran the
             * same steps, the first count's time over count {@code i}'s.
             *
             * @param i the count compared with the first
             * @return a ratio per round
             */
            double[] ratios(int i) {
                double[] first = stepsPerSecond(0);
                double[] ratios = stepsPerSecond(i);
                for (int r = 0; r < ratios.length; r++) {
                    ratios[r] /= first[r];
                }
                return ratios;
            }

            /**
             * Count {@code i}'s steps/s over the first count's in every timed round, those set aside
             * included: what the figures would be without the rule, which the output gives beside
             * them so that a reader sees what the rule changed.
             *
             * @param i the count compared with the first
             * @return a ratio per round, in the order run
             */
            double[] ratiosOfEveryRound(int i) {
                return ratiosOf(IntStream.range(0, rounds()).toArray(), i);
            }

            /**
             * Count {@code i}'s steps/s over the first count's in each {@link #full} round, whether
             * or not they make the figures: what the host allowed, where it allowed too few.
             *
             * @param i the count compared with the first
             * @return a ratio per round, in the order run
             */
            double[] ratiosOfFullRounds(int i) {
                return ratiosOf(full(), i);
            }

            private double[] ratiosOf(int[] rounds, int i) {
                double[] ratios = new double[rounds.length];
                for (int r = 0; r < ratios.length; r++) {
                    // The same steps in both slices: the first count's time over count i's.
                    ratios[r] = (double) sliceNanos.get(rounds[r])[0] / sliceNanos.get(rounds[r])[i];
                }
                return ratios;
            }
        }

        /**
         * Warms the counts up and times their rounds, as the class comment says.
         *
         * @param counts the number of thread counts (models)
         * @param seconds {@code --seconds}: the warm-up's least time, and the measurement's
         * @param clock nanoseconds
         * @param compilerMillis the JIT compiler's total working time so far, in milliseconds
         *     (always 0 where the JVM does not tell it)
         * @param slices what runs the steps
         * @return the warm-up's last rates, the slices' size and every slice's time
         */
        static Timing time(int counts, double seconds, LongSupplier clock, LongSupplier compilerMillis,
                Slices slices) {
            long warmNanos = nanos(seconds);
            double[] warmRates = null;
            long chunk = 1;
            long warmStart = clock.getAsLong();
            // The compiler threads' processor time at the warm-up's start and at each round's end.
            CompilerWindow window = new CompilerWindow(Math.min(QUIET_WINDOW, warmNanos), warmStart,
                    slices.compilerNanos());
            int round = 0;
            boolean settled = false;
            long now;
            // The limit runs from the end of the first round (see the class comment); until then, from its start.
            long limitFrom = warmStart;
            while (true) {
                boolean listening = round % 4 == 1;
                long compiledBefore = compilerMillis.getAsLong();
                long roundStart = clock.getAsLong();
                double[] rates = new double[counts];
                // The round's slices alone, without the waits before them: what sizes the next chunk.
                long slicesNanos = 0;
                for (int i : order(counts, round)) {
                    // As before a timed slice, so that this JVM's code that waits for the compilers
                    // is compiled here, not during the timed rounds (see the class comment).
                    slices.settle();
                    long start = clock.getAsLong();
                    long notSteps = slices.warm(i, chunk, listening);
                    long sliceNanos = clock.getAsLong() - start;
                    slicesNanos += sliceNanos;
                    rates[i] = chunk / secondsOf(stepNanos(sliceNanos, notSteps));
                }
                now = clock.getAsLong();
                long roundNanos = now - roundStart;
                double compiledNanos = (compilerMillis.getAsLong() - compiledBefore) * 1e6;
                window.add(now, slices.compilerNanos());
                if (round == 0) {
                    limitFrom = now;
                }
                round++;
                if (!listening) {
                    boolean steady = warmRates != null && steady(warmRates, rates);
                    boolean quiet = window.readable() ? window.quiet(now)
                            : compiledNanos <= QUIET_COMPILER * roundNanos;
                    warmRates = rates;
                    if (now - warmStart >= warmNanos && steady && quiet) {
                        settled = true;
                        break;
                    }
                    if (now - limitFrom >= WARM_UP_LIMIT * warmNanos) {
                        break;
                    }
                }
                if (slicesNanos < warmNanos / 8) {
                    chunk *= 2;
                }
            }
            long warmedNanos = now - warmStart;
            int warmRounds = round;

            double slowest = Double.POSITIVE_INFINITY;
            for (double rate : warmRates) {
                slowest = Math.min(slowest, rate);
            }
            double sliceSeconds = seconds / counts / targetRounds(seconds, counts);
            long stepsPerSlice = Math.max(1, (long) (sliceSeconds * slowest));
            List<long[]> sliceNanos = new ArrayList<>();
            List<Boolean> setAside = new ArrayList<>();
            long measureNanos = nanos(seconds);
            long measureStart = clock.getAsLong();
            round = 0;
            int quietRounds = 0;
            double hostLeast = hostLeast(slices.hostProbeThreads());
            List<Double> hostProbes = new ArrayList<>();
            while (round < SLICES || quietRounds < SLICES && clock.getAsLong() - measureStart < MEASURE_LIMIT * measureNanos
                    || clock.getAsLong() - measureStart < measureNanos) {
                slices.roundStarts(stepsPerSlice);
                long[] nanos = new long[counts];
                long compiled = 0;
                long timed = 0;
                boolean known = true;
                List<Double> probes = new ArrayList<>();
                for (int i : order(counts, round)) {
                    slices.settle();
                    probes.add(slices.hostProbe());
                    long compiledBefore = slices.compilerNanos();
                    long start = clock.getAsLong();
                    long notSteps = slices.run(i, stepsPerSlice);
                    long end = clock.getAsLong();
                    long compiledAfter = slices.compilerNanos();
                    nanos[i] = stepNanos(end - start, notSteps);
                    known &= compiledBefore >= 0 && compiledAfter >= 0;
                    compiled += compiledAfter - compiledBefore;
                    timed += end - start;
                }
                probes.add(slices.hostProbe());
                slices.roundEnds();
                sliceNanos.add(nanos);
                double probe = lowestProbe(probes);
                hostProbes.add(probe);
                boolean disturbed = known && !quietRound(compiled, timed);
                setAside.add(disturbed);
                quietRounds += disturbed || probe < hostLeast ? 0 : 1;
                round++;
            }
            long roundsNanos = clock.getAsLong() - measureStart;
            boolean[] aside = new boolean[setAside.size()];
            double[] probes = new double[aside.length];
            for (int r = 0; r < aside.length; r++) {
                aside[r] = setAside.get(r);
                probes[r] = hostProbes.get(r);
            }
            return new Timing(warmRounds, warmedNanos, settled, warmRates, stepsPerSlice, sliceNanos, aside, probes,
                    hostLeast, roundsNanos, MEASURE_LIMIT * measureNanos);
        }

        /**
         * The least {@link Slices#hostProbe} figure of a counted round on {@code threads} threads:
         * {@link #FULL_CORES} of the threads.
         *
         * @param threads the probe's threads, 0 where there is none
         * @return the figure, NaN where there is no probe (no figure is below NaN)
         */
        static double hostLeast(int threads) {
            return threads < 2 ? Double.NaN : FULL_CORES * threads;
        }

        /**
         * A round's host figure: the lowest of its probes' readings, so that a slowdown seen just
         * before or just after any of its slices sets it aside (see the class comment; each
         * reading is already the quicker of two runs, so a hiccup does not).
         *
         * @param probes the readings, NaN where there was no probe
         * @return their least, NaN where there was none
         */
        static double lowestProbe(List<Double> probes) {
            return probes.stream().mapToDouble(Double::doubleValue).filter(p -> !Double.isNaN(p)).min()
                    .orElse(Double.NaN);
        }

        /**
         * A slice's step time: its time on the clock less what was not steps (a rebuilding after a
         * divergence), never below 0 (the rebuilding of a child is timed on the child's clock, which
         * a test's clock here need not match).
         */
        static long stepNanos(long sliceNanos, long notStepNanos) {
            return Math.max(0, sliceNanos - notStepNanos);
        }

        /**
         * The processor time of the JIT compiler threads ({@link Slices#compilerNanos}) at the
         * warm-up's start and at the end of each of its rounds, and whether they were quiet over
         * the last {@link #QUIET_WINDOW} at least.
         */
        static final class CompilerWindow {

            /** Each mark's time on the clock and the compilers' nanoseconds then, in the order added. */
            private final List<long[]> marks = new ArrayList<>();

            private final long windowNanos;

            private boolean readable;

            /**
             * The window's first mark.
             *
             * @param windowNanos the least time over which the compilers must be quiet
             * @param now the clock
             * @param compilerNanos the compilers' processor time then, -1 if it cannot be read
             */
            CompilerWindow(long windowNanos, long now, long compilerNanos) {
                this.windowNanos = windowNanos;
                readable = compilerNanos >= 0;
                marks.add(new long[] {now, compilerNanos});
            }

            /**
             * Adds a mark; a time that cannot be read makes the window unreadable for good.
             *
             * @param now the clock
             * @param compilerNanos the compilers' processor time then, -1 if it cannot be read
             */
            void add(long now, long compilerNanos) {
                readable &= compilerNanos >= 0;
                marks.add(new long[] {now, compilerNanos});
            }

            /**
             * Whether every mark's time could be read.
             *
             * @return false if any could not (then the warm-up goes by the compilation time the
             *     JVM reports instead)
             */
            boolean readable() {
                return readable;
            }

            /**
             * Whether the compilers used at most {@link #QUIET_COMPILER} of the time since the
             * last mark at least the window's time before {@code now}: false while the marks span
             * less than that.
             *
             * @param now the clock at the last mark
             * @return whether they were quiet
             */
            boolean quiet(long now) {
                long[] last = marks.get(marks.size() - 1);
                for (int k = marks.size() - 1; k >= 0; k--) {
                    long[] mark = marks.get(k);
                    if (now - mark[0] >= windowNanos) {
                        return last[1] - mark[1] <= QUIET_COMPILER * (now - mark[0]);
                    }
                }
                return false;
            }
        }

        /** Whether every count's rate is within {@link #STEADY} of its rate before. */
        static boolean steady(double[] before, double[] after) {
            for (int i = 0; i < before.length; i++) {
                if (!(Math.abs(after[i] - before[i]) <= STEADY * before[i])) {
                    return false;
                }
            }
            return true;
        }
    }

    /** Whether every model's last step had the same loss, to the bit, as the first's. */
    private static boolean sameLastLoss(CountRun[] runs) {
        for (CountRun run : runs) {
            if (run.lastLossBits() != runs[0].lastLossBits()) {
                return false;
            }
        }
        return true;
    }

    /** Whether every model's weights are the same bits as the first's (their digests agree). */
    private static boolean sameWeights(CountRun[] runs) {
        String first = runs[0].weightsDigest();
        for (CountRun run : runs) {
            if (!run.weightsDigest().equals(first)) {
                return false;
            }
        }
        return true;
    }

    /**
     * What was measured for one engine at its thread counts.
     *
     * @param results an entry per thread count, in the order given
     * @param speedUps each count but the first against the first
     */
    record Measured(List<Result> results, List<SpeedUp> speedUps) {
    }

    /**
     * What the host's check ({@link CoreScaling#probe}) read around a list's timed rounds.
     *
     * @param threads the threads the probe ran on; 0 where there was no probe
     * @param least the least figure of a counted round ({@link Rounds#hostLeast}); NaN where there was no probe
     * @param probes each timed round's lowest figure, in the order run (NaN where there was no probe)
     * @param roundsSetAside the rounds left out because the host gave less than full cores (a part
     *     of {@link SpeedUp#roundsSetAside}; the rounds a JIT compiler also disturbed count as the compiler's)
     * @param roundsSlow the rounds without a JIT compiler where the probe read below {@code least},
     *     whether left out or not
     * @param ruleApplied whether those rounds were left out (false where fewer than
     *     {@link #SLICES} others were left: then they count, and the figure measures the host)
     * @param fullRounds the rounds without a JIT compiler where the probe read at least {@code least}:
     *     the rounds with full cores ({@link Rounds.Timing#full})
     * @param medianOfFullRounds the median ratio of those rounds, NaN where there was none; the
     *     reported median when {@code ruleApplied}, else what the host's few good rounds read
     * @param roundsSeconds how long the timed rounds took
     * @param limitSeconds how long they could go on for rounds with full cores and no JIT compiler
     *     ({@link Rounds#MEASURE_LIMIT} times {@code --seconds})
     */
    record Host(int threads, double least, double[] probes, int roundsSetAside, int roundsSlow, boolean ruleApplied,
            int fullRounds, double medianOfFullRounds, double roundsSeconds, double limitSeconds) {

        /** No check of the host: one count, one processor, or no probe. */
        static final Host NONE = new Host(0, Double.NaN, new double[0], 0, 0, true, 0, Double.NaN, 0, 0);

        /**
         * What a timing's host check read, for count {@code i} against the first.
         *
         * @param timing the rounds
         * @param threads the threads the probe ran on, 0 for none
         * @param i the count compared with the first
         * @return the figures
         */
        static Host of(Rounds.Timing timing, int threads, int i) {
            double[] full = timing.ratiosOfFullRounds(i);
            return new Host(threads, timing.hostLeast(), timing.hostProbes().clone(), timing.roundsSetAsideForHost(),
                    timing.roundsHostSlow(), timing.hostRuleApplied(), full.length,
                    full.length == 0 ? Double.NaN : BenchCommand.median(full), timing.roundsNanos() / 1e9,
                    timing.limitNanos() / 1e9);
        }

        /**
         * Whether the host stayed short of full cores through the rounds' time limit, so that the
         * rounds it slowed were counted: the figure then measures the host, not the program.
         *
         * @return true if so
         */
        boolean measuredTheHost() {
            return !ruleApplied;
        }
    }

    /**
     * How much faster one thread count trained than the first count given, round by round.
     *
     * @param engine the entries' name, such as {@code "array"}
     * @param precision their precision
     * @param threads the thread count compared
     * @param baseThreads the first thread count given, which it is compared with
     * @param ratios its steps/s over the first count's, in each round (slices of the same steps, run
     *     one right after the other)
     * @param stepsPerSlice the steps every count ran in each round
     * @param warmUpSeconds how long the warm-up of the counts took
     * @param warmUpSettled whether the warm-up ended with steady rates and a quiet JIT compiler,
     *     rather than at its limit ({@link Rounds})
     * @param sameResults whether the models on every thread count had the same loss after every
     *     round and the same weights at the end, to the bit (they must: a step's result does not
     *     depend on its threads)
     * @param roundsSetAside the timed rounds left out of {@code ratios} because a JIT compiler
     *     worked during them or the host gave less than full cores ({@link Rounds})
     * @param medianOfEveryRound the median ratio of every timed round, those set aside included
     *     (the same as {@link #median} when none was)
     * @param host what the host's check around the rounds read, and what it set aside
     */
    record SpeedUp(String engine, Precision precision, int threads, int baseThreads, double[] ratios,
            long stepsPerSlice, double warmUpSeconds, boolean warmUpSettled, boolean sameResults,
            int roundsSetAside, double medianOfEveryRound, Host host) {

        /** The median of the rounds' ratios: what is reported as the speed-up. */
        double median() {
            return BenchCommand.median(ratios);
        }

        double min() {
            return Arrays.stream(ratios).min().orElseThrow();
        }

        double max() {
            return Arrays.stream(ratios).max().orElseThrow();
        }
    }

    /**
     * Where a training step's time goes: a gradient listener notes the time when the gradients
     * are complete, just before the optimizer's update ({@link Trainer#addGradientListener}), so
     * that a step's time splits into the model's forward and backward passes (everything before
     * the note: the loss and the gradients) and Adam's update with the gradients' reset (everything
     * after it). One clock read per step, and no copy of the gradients; timed apart from the
     * steps/s, which are counted with no listener, as {@code train} runs.
     */
    private static final class Phases implements GradientListener {
        private final LongSupplier clock;
        /** The clock when the last step's gradients were complete. */
        long gradientsAt;

        Phases(LongSupplier clock) {
            this.clock = clock;
        }

        @Override
        public void onGradient(GradientEvent event) {
            gradientsAt = clock.getAsLong();
        }
    }

    /**
     * One thread count's model and trainer as {@link #measure} drives them: in this JVM (a
     * {@link Runner}, when one count is measured) or in a JVM of its own (a
     * {@link BenchChild.Remote}, for each count of a list; see the class comment for why).
     */
    interface CountRun {

        /**
         * The count's figures after its last request: the six the getters below give, in one
         * record, as a child sends them ({@link BenchChild}).
         *
         * @return the figures
         */
        CountState state();

        /**
         * Runs warm-up steps.
         *
         * @param steps the steps to run
         * @param listening whether with the phase split's gradient listener (which the JIT must
         *     have seen before anything is timed; see {@link Rounds})
         */
        void warm(long steps, boolean listening);

        /**
         * The bits of the loss of the first step of the last request ({@link #warm}, {@link #run}
         * or {@link #phases}): the first loss of a slice (of NaN if that step diverged).
         *
         * @return {@link Double#doubleToRawLongBits} of the loss
         */
        default long firstLossBits() {
            return state().firstLossBits();
        }

        /**
         * How many steps so far diverged (their loss was NaN or infinite), in all requests; each
         * time the model and its optimizer were built again from the seed ({@link Runner}).
         *
         * @return the divergences so far
         */
        default int divergences() {
            return state().divergences();
        }

        /**
         * The nanoseconds spent so far building the model again after a divergence, in all
         * requests, by the clock of the JVM that ran them: a slice's share of this is not step
         * time, and is taken out of the slice's time ({@link Rounds}).
         *
         * @return the rebuilding's total nanoseconds
         */
        default long rebuildNanos() {
            return state().rebuildNanos();
        }

        /**
         * The heap bytes allocated so far by the threads that ran the steps of all {@link #run}
         * requests (the timed slices): the calling thread and the step's helper threads
         * ({@link StepAllocation}), counted in the JVM that ran them, without the building of
         * the model again after a divergence. Warm-up, phase split and generation are not
         * counted.
         *
         * @return the bytes, or -1 where that JVM cannot count each thread's allocation
         */
        default long allocatedBytes() {
            return state().allocatedBytes();
        }

        /**
         * Runs steps as {@code train} does: with no gradient listener, so that the trainer may fuse
         * Adam's update into the backward pass.
         *
         * @param steps the steps to run
         */
        void run(long steps);

        /**
         * Runs steps with the phase split's gradient listener ({@link Phases}).
         *
         * @param steps the steps to run
         * @return their nanoseconds in the forward and backward passes, and in the rest (Adam's
         *     update and the gradients' reset), in that order
         */
        long[] phases(long steps);

        /**
         * The bits of the last step's loss (of NaN after a divergence on random letters).
         *
         * @return {@link Double#doubleToRawLongBits} of the loss
         */
        default long lastLossBits() {
            return state().lastLossBits();
        }

        /**
         * The steps the trainer has done, which say which document comes next (from 0 again
         * after a divergence, when the model is built again).
         *
         * @return the trainer's {@link Trainer#stepsDone()}
         */
        default int stepsDone() {
            return state().stepsDone();
        }

        /**
         * Where the steps of {@link #run} (one document, no listener) run Adam's update, and so
         * what it streams ({@link MemoryBandwidth.UpdatePlace}), as the model and the optimizer
         * that run them say ({@link BenchCommand#updatePlace}).
         *
         * @return inside the backward pass, or after it
         */
        MemoryBandwidth.UpdatePlace updatePlace();

        /**
         * A digest of the weights' bits, to compare models that must be the same to the bit.
         *
         * @return the SHA-256 of every parameter's raw bits, in hexadecimal
         */
        String weightsDigest();

        /**
         * Generates names (temperature 0.5, through the {@link Sampler}) for about
         * {@code nanos}, at least one token.
         *
         * @param nanos how long
         * @return the tokens generated and the nanoseconds they took, in that order
         */
        long[] generate(long nanos);
    }

    /**
     * One count's figures after a request, as {@link CountRun#state} gives them: what the getters
     * of {@link CountRun} say, kept in one place for the {@link Runner} in this JVM and for a
     * child's {@link BenchChild.Remote}, which reads them from the child's answer.
     *
     * @param lastLossBits {@link CountRun#lastLossBits}
     * @param stepsDone {@link CountRun#stepsDone}
     * @param firstLossBits {@link CountRun#firstLossBits}
     * @param divergences {@link CountRun#divergences}
     * @param rebuildNanos {@link CountRun#rebuildNanos}
     * @param allocatedBytes {@link CountRun#allocatedBytes}
     */
    record CountState(long lastLossBits, int stepsDone, long firstLossBits, int divergences, long rebuildNanos,
            long allocatedBytes) {
    }

    /**
     * One contender's model and trainer, and the steps it runs, in this JVM. Random letters teach
     * nothing, and should a run on them diverge all the same, the model is built again and the
     * measurement goes on: the speed of a step does not depend on the weights (and every thread
     * count diverges at the same step, its results being the same), and likewise on the names at
     * a {@code --lr} of one's own. In microgpt.py's run (the names at its rate) a
     * divergence would be a bug, and is reported as one.
     *
     * <p><b>How a divergence is handled.</b> A step whose loss is NaN or infinite is stopped by
     * the trainer before its backward pass ({@link TrainingDivergedException}); that step counts
     * as a step of its slice, with the time its forward pass took. Then the model and Adam's
     * optimizer are built again from seed 42, the same start as the first, which takes as long
     * as a few steps at a large size (75-90 ms at nEmbd 256): that time is read on the clock,
     * added to {@link #rebuildNanos}, and taken out of the slice's time by {@link Rounds} (and
     * out of the phase split's), so that no steps/s includes it. {@link #divergences} counts
     * them, and the bench reports the count with the loss (a note on stderr, a line of the table,
     * {@code "divergences"} in the JSON).
     */
    static final class Runner implements CountRun {
        private final Contender contender;
        private final Workload workload;
        private final LongSupplier clock;
        private final Phases phases;
        private boolean listening;
        private Trainer trainer;
        private Sampler sampler;
        /** The bits of the last step's loss (of NaN after a divergence). */
        private long lastLossBits;
        /** The bits of the first step's loss of the last request. */
        private long firstLossBits;
        /** Whether the next step is the first of a request. */
        private boolean firstOfRequest;
        /** The steps that diverged so far. */
        private int divergences;
        /** The nanoseconds spent building the model again after those divergences. */
        private long rebuildNanos;
        /** Counts the heap bytes the steps' threads allocate in {@link #run}. */
        private final StepAllocation allocation;
        /** The bytes they allocated in {@link #run} so far, rebuilding left out; -1 if not counted. */
        private long allocatedBytes;
        /** The bytes the calling thread allocated building the model again, in the current {@link #run}. */
        private long rebuildBytes;

        /**
         * Builds the contender's model and trainer, from seed 42.
         *
         * @param contender the engine, precision and threads
         * @param workload the model size and the documents
         * @param clock nanoseconds, for the phase split and generation
         */
        Runner(Contender contender, Workload workload, LongSupplier clock) {
            this(contender, workload, clock, StepAllocation.ofThisJvm());
        }

        /**
         * Builds the contender's model and trainer, from seed 42, with a counter of allocation
         * of one's own (for a test: one that counts nothing, as in a JVM that cannot count).
         *
         * @param contender the engine, precision and threads
         * @param workload the model size and the documents
         * @param clock nanoseconds, for the phase split and generation
         * @param allocation counts the bytes the steps of {@link #run} allocate
         */
        Runner(Contender contender, Workload workload, LongSupplier clock, StepAllocation allocation) {
            this.contender = contender;
            this.workload = workload;
            this.clock = clock;
            this.phases = new Phases(clock);
            this.allocation = allocation;
            this.allocatedBytes = allocation.counts() ? 0 : -1;
            this.trainer = newTrainer();
        }

        /** A trainer that never finishes, so the learning rate stays at its initial value throughout. */
        private Trainer newTrainer() {
            LanguageModel model = contender.create(workload.config(), workload.tokenizer().vocabSize(),
                    new PythonRandom(42));
            AdamSettings settings = AdamSettings.defaults().withLearningRate(workload.learningRate());
            AdamOptimizer optimizer = new AdamOptimizer(model.numParameters(), settings);
            Trainer created = new Trainer(model, workload.tokenizer(), workload.docs(), optimizer, Integer.MAX_VALUE);
            if (listening) {
                created.addGradientListener(phases);
            }
            return created;
        }

        private void listen(boolean on) {
            if (on && !listening) {
                trainer.addGradientListener(phases);
            } else if (!on && listening) {
                trainer.removeGradientListener(phases);
            }
            listening = on;
        }

        @Override
        public void warm(long steps, boolean listening) {
            listen(listening);
            firstOfRequest = true;
            for (long s = 0; s < steps; s++) {
                step();
            }
            listen(false);
        }

        @Override
        public void run(long steps) {
            if (listening) {
                throw new IllegalStateException("steps/s must be timed without a gradient listener");
            }
            firstOfRequest = true;
            rebuildBytes = 0;
            allocation.begin();
            for (long s = 0; s < steps; s++) {
                step();
            }
            long allocated = allocation.end();
            if (allocated >= 0) {
                allocatedBytes += Math.max(0, allocated - rebuildBytes);
            }
        }

        @Override
        public long[] phases(long steps) {
            listen(true);
            firstOfRequest = true;
            long gradient = 0;
            long optimizer = 0;
            long now = clock.getAsLong();
            for (long s = 0; s < steps; s++) {
                long before = now;
                long rebuiltBefore = rebuildNanos;
                phases.gradientsAt = Long.MIN_VALUE;
                step();
                now = clock.getAsLong();
                // A step that diverged told no gradients: its forward pass counts as theirs, its rebuilding as nothing.
                long gradientsAt = phases.gradientsAt >= before ? phases.gradientsAt
                        : now - (rebuildNanos - rebuiltBefore);
                gradient += gradientsAt - before;
                optimizer += phases.gradientsAt >= before ? now - gradientsAt : 0;
            }
            listen(false);
            return new long[] {gradient, optimizer};
        }

        @Override
        public CountState state() {
            return new CountState(lastLossBits, trainer.stepsDone(), firstLossBits, divergences, rebuildNanos,
                    allocatedBytes);
        }

        @Override
        public MemoryBandwidth.UpdatePlace updatePlace() {
            return BenchCommand.updatePlace(trainer.model(), trainer.optimizer());
        }

        @Override
        public String weightsDigest() {
            Parameters parameters = trainer.model().parameters();
            MessageDigest digest;
            try {
                digest = MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                // Every Java platform must have SHA-256 (MessageDigest's own documentation).
                throw new IllegalStateException(e);
            }
            ByteBuffer bits = ByteBuffer.allocate(Long.BYTES);
            for (int p = 0; p < parameters.size(); p++) {
                bits.clear();
                bits.putLong(Double.doubleToRawLongBits(parameters.value(p)));
                digest.update(bits.array());
            }
            return HexFormat.of().formatHex(digest.digest());
        }

        @Override
        public long[] generate(long nanos) {
            if (sampler == null) {
                sampler = new Sampler(trainer.model(), workload.tokenizer(), new PythonRandom(7));
            }
            long start = clock.getAsLong();
            long deadline = start + nanos;
            long tokens = 0;
            Sampler.Generation generation = null;
            do {
                if (generation == null || generation.isDone()) {
                    generation = sampler.start(0.5);
                }
                generation.step();
                tokens++;
            } while (clock.getAsLong() < deadline);
            return new long[] {tokens, clock.getAsLong() - start};
        }

        /** One step; after a divergence, the model built again, its time noted apart ({@link #rebuildNanos}). */
        private void step() {
            try {
                lastLossBits = Double.doubleToRawLongBits(contender.step(trainer).loss());
            } catch (TrainingDivergedException e) {
                if (workload.divergenceIsABug()) {
                    throw e;
                }
                lastLossBits = Double.doubleToRawLongBits(Double.NaN);
                divergences++;
                long start = clock.getAsLong();
                long bytesBefore = allocation.callerBytes();
                trainer = newTrainer();
                rebuildBytes += allocation.callerBytes() - bytesBefore;
                rebuildNanos += clock.getAsLong() - start;
            }
            if (firstOfRequest) {
                firstLossBits = lastLossBits;
                firstOfRequest = false;
            }
        }
    }

    /** The median: the middle value, or the mean of the two middle ones. */
    static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    private static long nanos(double seconds) {
        return (long) (seconds * 1e9);
    }

    /** Nanoseconds in seconds, at least one nanosecond's worth (a coarse clock may not move). */
    private static double secondsOf(long nanos) {
        return Math.max(nanos, 1) / 1e9;
    }

    /**
     * The JSON object: {@code "engines"}, an entry per engine and thread count; with a list of
     * thread counts (non-null {@code speedUps}) also {@code "speedUps"}; then {@code "memory"},
     * {@code "kernels"} and {@code "configuration"} (the fields are described in the class comment).
     *
     * @param results the engines' entries
     * @param speedUps the speed-ups of a list of thread counts, or {@code null} for one count
     * @param memory the measured memory bandwidths
     * @param workload what was measured
     * @return the object, on one line
     */
    static String toJson(List<Result> results, List<SpeedUp> speedUps, MemoryBandwidth.Measurement memory,
            CoreScaling.Measurement compute, Workload workload) {
        List<Map<String, Object>> engines = new ArrayList<>();
        for (Result r : results) {
            Map<String, Object> engine = new LinkedHashMap<>();
            engine.put("engine", r.engine());
            engine.put("precision", r.precision().id());
            engine.put("threads", r.threads());
            engine.put("stepsPerSecond", round(r.stepsPerSecond(), 1));
            // Four places: a reference step lasts tens of microseconds, its update a few.
            engine.put("gradientMillis", round(r.gradientMillis(), 4));
            engine.put("optimizerMillis", round(r.optimizerMillis(), 4));
            engine.put("tokensPerSecond", round(r.tokensPerSecond(), 1));
            engine.put("gflopsPerSecond", round(r.gflopsPerSecond(), 4));
            engine.put("peakGflopsPerSecond", round(r.peak().gflopsPerSecond(), 2));
            engine.put("peakThreads", r.peak().threads());
            // Six places: the Value engine's share is a few millionths, which four places would print as 0.
            engine.put("shareOfPeak", round(r.shareOfPeak(), 6));
            // The memory beside the peak: its bandwidth on as many threads, and the part of a step
            // it alone takes, Adam's update streamed from and to memory (w, m, v, and after the
            // backward pass g: MemoryBandwidth.UpdatePlace).
            double gbPerSecond = memory.on(r.peak().threads()).gbPerSecond();
            long updateBytes = MemoryBandwidth.updateBytesPerStep(workload.parameters(), r.precision(),
                    r.updatePlace());
            engine.put("memoryGbPerSecond", round(gbPerSecond, 2));
            engine.put("updateBytesPerStep", updateBytes);
            engine.put("updateInsideBackwardPass",
                    r.updatePlace() == MemoryBandwidth.UpdatePlace.INSIDE_BACKWARD_PASS);
            engine.put("updateMemoryMillis", round(updateBytes / gbPerSecond / 1e6, 4));
            // What the timed steps trained: the loss of the first and the last, and the divergences.
            engine.put("firstLoss", loss(r.firstLoss()));
            engine.put("lastLoss", loss(r.lastLoss()));
            engine.put("timedDivergences", r.timedDivergences());
            engine.put("divergences", r.divergences());
            // The heap the step's threads allocated a timed step: a few tens of KB once compiled (StepAllocation).
            engine.put("allocatedBytesPerStep", Double.isNaN(r.allocatedBytesPerStep()) ? null
                    : Math.round(r.allocatedBytesPerStep()));
            engines.add(engine);
        }
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("engines", engines);
        if (speedUps != null) {
            List<Map<String, Object>> entries = new ArrayList<>();
            for (SpeedUp speedUp : speedUps) {
                Map<String, Object> entry = new LinkedHashMap<>();
                entry.put("engine", speedUp.engine());
                entry.put("precision", speedUp.precision().id());
                entry.put("threads", speedUp.threads());
                entry.put("overThreads", speedUp.baseThreads());
                // The median of the rounds' ratios, and their spread: what a burst of other work did.
                entry.put("median", round(speedUp.median(), 3));
                entry.put("min", round(speedUp.min(), 3));
                entry.put("max", round(speedUp.max(), 3));
                entry.put("rounds", speedUp.ratios().length);
                List<Double> ratios = new ArrayList<>();
                for (double ratio : speedUp.ratios()) {
                    ratios.add(round(ratio, 3));
                }
                entry.put("ratios", ratios);
                // How the rounds were made, for a reader who wants to check them: the steps of each
                // slice, and the warm-up's length and whether it settled (Rounds).
                entry.put("stepsPerSlice", speedUp.stepsPerSlice());
                entry.put("warmUpSeconds", round(speedUp.warmUpSeconds(), 2));
                entry.put("warmUpSettled", speedUp.warmUpSettled());
                entry.put("roundsSetAside", speedUp.roundsSetAside());
                entry.put("medianOfEveryRound", round(speedUp.medianOfEveryRound(), 3));
                entry.put("sameResults", speedUp.sameResults());
                // The host's check around every round (CoreScaling.probe): its threads, the least
                // figure of a counted round, each round's lowest figure, and what it set aside.
                Host host = speedUp.host();
                entry.put("roundsSetAsideForHost", host.roundsSetAside());
                entry.put("hostProbeThreads", host.threads());
                entry.put("hostProbeLeast", Double.isNaN(host.least()) ? null : round(host.least(), 3));
                List<Double> probes = new ArrayList<>();
                for (double probe : host.probes()) {
                    probes.add(Double.isNaN(probe) ? null : round(probe, 3));
                }
                entry.put("hostProbes", probes);
                // What the line says when the host stayed short (Host): the rounds it slowed, the
                // rounds with full cores and their median, whether the figure measured the host, and
                // the rounds' time against their limit.
                entry.put("roundsHostSlow", host.roundsSlow());
                entry.put("fullCoreRounds", host.fullRounds());
                entry.put("medianOfFullCoreRounds", Double.isNaN(host.medianOfFullRounds()) ? null
                        : round(host.medianOfFullRounds(), 3));
                entry.put("measuredTheHost", host.measuredTheHost());
                entry.put("roundsSeconds", round(host.roundsSeconds(), 2));
                entry.put("roundsLimitSeconds", round(host.limitSeconds(), 2));
                entries.add(entry);
            }
            root.put("speedUps", entries);
        }
        Map<String, Object> bandwidths = new LinkedHashMap<>();
        List<Map<String, Object>> counts = new ArrayList<>();
        for (MemoryBandwidth.Bandwidth bandwidth : memory.bandwidths()) {
            counts.add(controlCount(bandwidth.threads(), "gbPerSecond", bandwidth.gbPerSecond(),
                    memory.overOneThread(bandwidth.threads()), bandwidth.rounds()));
        }
        bandwidths.put("bandwidths", counts);
        bandwidths.put("bufferBytes", memory.bufferBytes());
        bandwidths.put("seconds", round(memory.seconds(), 3));
        // The rounds set aside because this JVM's JIT compiler worked during them (ControlRounds).
        bandwidths.put("roundsSetAside", memory.setAside());
        root.put("memory", bandwidths);
        // Which code computed the array engine's matrix products: "plain" or "vector" (ArrayKernels).
        root.put("kernels", ArrayKernels.implementation().id());
        Map<String, Object> configuration = new LinkedHashMap<>();
        GptConfig config = workload.config();
        configuration.put("nLayer", config.nLayer());
        configuration.put("nEmbd", config.nEmbd());
        configuration.put("nHead", config.nHead());
        configuration.put("blockSize", config.blockSize());
        configuration.put("vocabSize", workload.tokenizer().vocabSize());
        configuration.put("parameters", workload.parameters());
        configuration.put("documents", workload.reference() ? "names" : "random letters");
        configuration.put("learningRate", workload.learningRate());
        root.put("configuration", configuration);
        // Nulls written: a loss that was not finite is null, not a missing field.
        Gson gson = new GsonBuilder().disableHtmlEscaping().serializeNulls().create();
        // The cores' own scaling beside the memory's (CoreScaling), last so that the keys before keep their places.
        Map<String, Object> cores = new LinkedHashMap<>();
        cores.put("precision", compute.precision().id());
        List<Map<String, Object>> rates = new ArrayList<>();
        for (CoreScaling.Rate rate : compute.rates()) {
            rates.add(controlCount(rate.threads(), "gflopsPerSecond", rate.gflopsPerSecond(),
                    compute.overOneThread(rate.threads()), rate.rounds()));
        }
        cores.put("rates", rates);
        cores.put("seconds", round(compute.seconds(), 3));
        // The share of their time the most threads were on a processor (null where unknown).
        cores.put("onProcessor", Double.isNaN(compute.onProcessor()) ? null : round(compute.onProcessor(), 3));
        // The rounds set aside because this JVM's JIT compiler worked during them, and the rounds it
        // worked during (more when too many to set aside were counted): ControlRounds.
        cores.put("roundsSetAside", compute.setAside());
        cores.put("compilerRounds", compute.compilerRounds());
        root.put("compute", cores);
        return gson.toJson(root);
    }

    /**
     * One thread count of a control measurement (the memory's bandwidth or the cores' compute) as
     * the JSON shows it: {@code threads}, the median rate under {@code rateKey}, {@code
     * overOneThread} and every round's rate.
     */
    private static Map<String, Object> controlCount(int threads, String rateKey, double rate,
                                                    double overOneThread, double[] rounds) {
        Map<String, Object> count = new LinkedHashMap<>();
        count.put("threads", threads);
        count.put(rateKey, round(rate, 2));
        count.put("overOneThread", round(overOneThread, 3));
        List<Double> rounded = new ArrayList<>();
        for (double value : rounds) {
            rounded.add(round(value, 2));
        }
        count.put("rounds", rounded);
        return count;
    }

    /** A loss for the JSON: six places, or null if it was not finite (JSON has no NaN). */
    private static Double loss(double value) {
        return Double.isFinite(value) ? round(value, 6) : null;
    }

    private static double round(double value, int decimals) {
        double scale = Math.pow(10, decimals);
        return Math.round(value * scale) / scale;
    }

    /** The table; with a list of thread counts (non-null {@code speedUps}) a threads column and the speed-ups. */
    private static void printTable(LineOutput out, List<Result> results, List<SpeedUp> speedUps,
            MemoryBandwidth.Measurement memory, CoreScaling.Measurement compute, Workload workload) {
        out.line("microgpt bench: " + workload.describe());
        boolean list = speedUps != null;
        out.line(String.format(Locale.ROOT, "%-9s " + (list ? "%7s " : "%s") + "%12s %12s %9s %7s", "engine",
                list ? "threads" : "", "steps/s", "tokens/s", "GFLOP/s", "of peak"));
        for (Result r : results) {
            // A large model does a few steps a second: then a decimal says more than a rounded integer.
            String steps = r.stepsPerSecond() < 100 ? "%,12.1f" : "%,12.0f";
            out.line(String.format(Locale.ROOT, "%-9s " + (list ? "%7d " : "%s") + steps + " %,12.0f %9.3f %6.1f%%",
                    r.engine(), list ? r.threads() : "", r.stepsPerSecond(), r.tokensPerSecond(), r.gflopsPerSecond(),
                    100 * r.shareOfPeak()));
        }
        List<String> saidAlike = new ArrayList<>();
        for (Result r : results) {
            if (r.divergences() == 0 || saidAlike.contains(r.engine())) {
                continue;
            }
            // A list's counts run the same steps, so they must diverge alike: then one line says it for all.
            boolean alike = true;
            for (Result other : results) {
                alike &= !other.engine().equals(r.engine()) || sameDivergence(r, other);
            }
            if (alike) {
                saidAlike.add(r.engine());
            }
            out.line(divergenceLine(r, list && !alike));
        }
        if (results.size() == 2 && !results.get(0).engine().equals(results.get(1).engine())) {
            Result first = results.get(0);
            Result second = results.get(1);
            out.line(String.format(Locale.ROOT, "%s / %s: %.1fx the steps, %.1fx the tokens", second.engine(),
                    first.engine(), second.stepsPerSecond() / first.stepsPerSecond(),
                    second.tokensPerSecond() / first.tokensPerSecond()));
        }
        if (list) {
            List<String> unsettled = new ArrayList<>();
            for (SpeedUp s : speedUps) {
                out.line(String.format(Locale.ROOT, "%s on %d / %s: %.2fx the steps (median of %d alternated "
                        + "rounds of %d %s; lowest %.2fx, highest %.2fx%s), %s", s.engine(), s.threads(),
                        threadCount(s.baseThreads()), s.median(), s.ratios().length, s.stepsPerSlice(),
                        s.stepsPerSlice() == 1 ? "step" : "steps", s.min(), s.max(),
                        setAside(s.roundsSetAside(), s.ratios().length, s.medianOfEveryRound(), s.host()),
                        s.sameResults() ? "the same results" : "DIFFERENT RESULTS"));
                // Once per engine: its counts shared one warm-up.
                if (!s.warmUpSettled() && !unsettled.contains(s.engine())) {
                    unsettled.add(s.engine());
                    out.line(String.format(Locale.ROOT, "%s: the warm-up stopped at its limit, %.1f s, before the rates "
                            + "were steady and the JIT compiler quiet; the slices may have been timed while code was still being compiled",
                            s.engine(), s.warmUpSeconds()));
                }
            }
        }
        out.line(allocationLine(results));
        List<PeakFlops.Peak> peaks = new ArrayList<>();
        for (Result r : results) {
            if (!peaks.contains(r.peak())) {
                peaks.add(r.peak());
                out.line(String.format(Locale.ROOT, "peak of %s on %s, measured: %.1f GFLOP/s%s",
                        r.precision().id(), threadCount(r.peak().threads()),
                        r.peak().gflopsPerSecond(), r.peak().threads() < r.threads()
                                ? " (--threads " + r.threads() + ", but the JVM sees "
                                        + Runtime.getRuntime().availableProcessors() + " processors)" : ""));
            }
        }
        out.line(computeLine(compute));
        for (String line : memoryLines(memory, results, workload.parameters())) {
            out.line(line);
        }
        out.line(String.format(Locale.ROOT, "Java %s (%s), %d processors, %s matrix products",
                System.getProperty("java.version"), System.getProperty("java.vm.name"),
                Runtime.getRuntime().availableProcessors(), ArrayKernels.implementation().id()));
    }

    /**
     * The speed-up line's note on the rounds a JIT compiler disturbed, with the median of every
     * round beside it, so that what the rule changed shows: empty if none was set aside.
     *
     * @param rounds the rounds set aside
     * @param counted the rounds the reported median is made of
     * @param medianOfEveryRound the median ratio of all of them
     * @return the note, starting with "; ", or an empty string
     */
    static String setAside(int rounds, int counted, double medianOfEveryRound) {
        return setAside(rounds, counted, medianOfEveryRound, Host.NONE);
    }

    /**
     * The speed-up line's note on the rounds set aside, for a JIT compiler that worked during them
     * or a host that gave less than full cores ({@link Rounds}), with the median of every round
     * beside it, so that what the rules changed shows; and on the rounds the host slowed that were
     * counted all the same, too many to set aside. Empty if no round was set aside or slowed.
     *
     * @param rounds the rounds set aside, for either reason
     * @param counted the rounds the reported median is made of
     * @param medianOfEveryRound the median ratio of all of them
     * @param host what the host's check read
     * @return the note, starting with "; ", or an empty string
     */
    static String setAside(int rounds, int counted, double medianOfEveryRound, Host host) {
        StringBuilder note = new StringBuilder();
        String cores = host.threads() == 2 ? "two" : String.valueOf(host.threads());
        String probe = String.format(Locale.ROOT, "(probe %d/1 below %.2f)", host.threads(), host.least());
        if (rounds > 0) {
            int compiler = rounds - host.roundsSetAside();
            String them = rounds == 1 ? "it" : "them";
            note.append(String.format(Locale.ROOT, "; %d more %s set aside: ", rounds, rounds == 1 ? "round" : "rounds"));
            if (host.roundsSetAside() == 0) {
                note.append("a JIT compiler worked during ").append(them);
            } else if (compiler == 0) {
                note.append(String.format(Locale.ROOT, "the machine gave less than %s full cores during %s %s",
                        cores, them, probe));
            } else {
                note.append(String.format(Locale.ROOT, "a JIT compiler worked during %d, the machine gave less than %s "
                        + "full cores during %d %s", compiler, cores, host.roundsSetAside(), probe));
            }
            note.append(String.format(Locale.ROOT, "; all %d rounds: %.2fx", rounds + counted, medianOfEveryRound));
        }
        if (host.measuredTheHost()) {
            // Too few rounds with full cores by the rounds' limit: say so plainly, with the counts,
            // and what the few good rounds read.
            int withoutCompiler = host.roundsSlow() + host.fullRounds();
            note.append(String.format(Locale.ROOT, "; the machine gave less than %s full cores during %d of the %d "
                    + "%s without a JIT compiler %s, and %d %s with them in %.1f s of rounds (the limit, %d x --seconds; "
                    + "%d needed%s): the %s counted, so this figure measures the host, not the program",
                    cores, host.roundsSlow(), withoutCompiler, withoutCompiler == 1 ? "round" : "rounds", probe,
                    host.fullRounds(), host.fullRounds() == 1 ? "round" : "rounds", host.roundsSeconds(),
                    Rounds.MEASURE_LIMIT, SLICES, host.fullRounds() == 0 ? ""
                            : String.format(Locale.ROOT, "; %s %.2fx", host.fullRounds() == 1 ? "it read" : "their median",
                                    host.medianOfFullRounds()),
                    host.roundsSlow() == 1 ? "slow one was" : "slow ones were"));
        }
        return note.toString();
    }

    /**
     * A number of threads as the bench's lines say it: "1 thread", "2 threads".
     *
     * @param threads the count
     * @return the count and the word, singular for 1
     */
    static String threadCount(int threads) {
        return threads + (threads == 1 ? " thread" : " threads");
    }

    /**
     * The table's line on the heap allocated per timed step by the threads that ran it
     * ({@link Result#allocatedBytesPerStep}), for every entry, in KB (10<sup>3</sup> bytes).
     *
     * @param results the engines' entries
     * @return the line, without a line break
     */
    static String allocationLine(List<Result> results) {
        StringBuilder line = new StringBuilder("heap allocated per timed step by the threads that ran it: ");
        boolean uncounted = false;
        for (int i = 0; i < results.size(); i++) {
            Result r = results.get(i);
            line.append(i == 0 ? "" : ", ").append(r.engine()).append(" on ").append(threadCount(r.threads()));
            if (Double.isNaN(r.allocatedBytesPerStep())) {
                line.append(" not counted");
                uncounted = true;
            } else {
                line.append(String.format(Locale.ROOT, " %,.1f KB", r.allocatedBytesPerStep() / 1e3));
            }
        }
        if (uncounted) {
            line.append(" (the JVM that ran it does not count each thread's allocation: that needs the module "
                    + "jdk.management)");
        }
        return line.toString();
    }

    /**
     * The note on stderr for an array engine's entry whose timed steps allocated more than
     * {@link #ALLOCATION_NOTE_BYTES_PER_THREAD} times its threads each, on average: what that
     * likely means with the kernels that ran, and what to do. The Value engine builds a graph of
     * objects every step, so its figure is always high, and it gets no note.
     *
     * <p>With the Vector API kernels the likely cause is their Java fallback, which C2 takes where
     * it cannot compile a vector operation: not chance but the JDK and what the JVM compiled
     * before (on JDK 17 with AVX-512, a second shape of vector in the JVM did it in every JVM
     * alike; see microgpt-vector's {@code NoFallbackTest}), so running the bench again with the
     * same options usually gives the same figure, and the comparison that tells is with the
     * core's loops or another JDK. Without them (the core's loops make no object a step, only a
     * few KB of bookkeeping) the steps can only have run before the JIT compiled them.
     *
     * @param r an entry
     * @param kernels the kernels that computed the array engine's products in this run
     * @return the note, without a line break, or null if none is due
     */
    static String allocationNote(Result r, ArrayKernels.Implementation kernels) {
        long limit = ALLOCATION_NOTE_BYTES_PER_THREAD * r.threads();
        if (r.engine().equals(Engine.VALUE.id()) || !(r.allocatedBytesPerStep() > limit)) {
            return null;
        }
        String cause = kernels == ArrayKernels.Implementation.VECTOR
                ? "with the Vector API kernels the likely cause is their Java fallback, where C2 could not compile a "
                + "vector operation and makes an object of every vector (its steps/s are then low); that comes from "
                + "the JDK and what the JVM compiled, not from chance, so the same options usually give the same "
                + "figure again: compare with the core's loops (-Dmicrogpt.kernels=plain, in JAVA_OPTS for "
                + "./microgpt) or another JDK; otherwise steps ran before the JIT compiled them (a short --seconds)"
                : "the core's loops make no object a step, so steps ran before the JIT compiled them: run it again "
                + "with a longer --seconds";
        return String.format(Locale.ROOT, "microgpt: note: %s on %s allocated %,.1f KB of heap per timed step, more "
                + "than %,d KB (%,d KB a thread); %s", r.engine(), threadCount(r.threads()),
                r.allocatedBytesPerStep() / 1e3, limit / 1000, ALLOCATION_NOTE_BYTES_PER_THREAD / 1000, cause);
    }

    /** Whether two entries diverged alike: as often, in all and in the timed steps, with the same timed losses. */
    private static boolean sameDivergence(Result before, Result r) {
        return before.divergences() == r.divergences()
                && before.timedDivergences() == r.timedDivergences()
                && Double.compare(before.firstLoss(), r.firstLoss()) == 0
                && Double.compare(before.lastLoss(), r.lastLoss()) == 0;
    }

    /**
     * The table's line for an engine whose loss diverged: how often (in all, and in the timed
     * steps), that the model was rebuilt outside the timed steps, and the loss of the first and
     * last timed step.
     *
     * @param r the engine's entry, with {@link Result#divergences} above 0
     * @param list whether to name the thread count (a list whose counts did not diverge alike;
     *     those that did, as they must, share one line)
     * @return the line, without a line break
     */
    static String divergenceLine(Result r, boolean list) {
        return String.format(Locale.ROOT, "%s%s: the loss diverged %d %s (%d in the timed steps); each time the "
                + "model was rebuilt from its seed, outside the timed steps; timed loss %.4f to %.4f",
                r.engine(), list ? " on " + threadCount(r.threads()) : "",
                r.divergences(), r.divergences() == 1 ? "time" : "times", r.timedDivergences(), r.firstLoss(),
                r.lastLoss());
    }

    /**
     * The table's line on the cores: the kernel's measured rate on each thread count, with each
     * count's ratio over one thread's, the most more threads can gain on this machine now.
     *
     * @param compute the measurement ({@link CoreScaling#measure})
     * @return the line
     */
    static String computeLine(CoreScaling.Measurement compute) {
        StringBuilder rates = new StringBuilder();
        for (CoreScaling.Rate r : compute.rates()) {
            rates.append(rates.length() == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%s %.1f GFLOP/s",
                    threadCount(r.threads()), r.gflopsPerSecond()));
            if (r.threads() > 1) {
                rates.append(String.format(Locale.ROOT, ", %.2fx", compute.overOneThread(r.threads())));
            }
        }
        int counted = compute.setAside() == compute.compilerRounds() ? CoreScaling.ROUNDS
                : compute.rates().get(0).rounds().length;
        return String.format(Locale.ROOT, "compute of this machine, measured: %s (%s multiply-adds on 4 KiB in each "
                + "thread's first-level cache, no memory traffic: the most more threads can gain; median of %d "
                + "alternated rounds%s, %.2f s%s)", rates, compute.precision().id(), counted,
                compilerRounds(compute.setAside(), compute.compilerRounds()), compute.seconds(), whoTookTheCores(compute));
    }

    /**
     * The control lines' note on the rounds this JVM's JIT compiler worked during ({@link ControlRounds}):
     * how many were set aside, or that too many were to set them aside; empty if none.
     *
     * @param setAside the rounds set aside
     * @param compilerRounds the rounds the compiler worked during
     * @return the note, starting with "; ", or an empty string
     */
    static String compilerRounds(int setAside, int compilerRounds) {
        if (compilerRounds == 0) {
            return "";
        }
        if (setAside == compilerRounds) {
            return String.format(Locale.ROOT, "; %d more %s set aside: this JVM's JIT compiler worked during %s",
                    setAside, setAside == 1 ? "round" : "rounds", setAside == 1 ? "it" : "them");
        }
        return String.format(Locale.ROOT, "; this JVM's JIT compiler worked during %d of them, too many to set aside: "
                + "counted", compilerRounds);
    }

    /**
     * The end of the compute line when the most threads fell short of their count's worth: whether
     * another program on this machine kept them off their processors, or the host took the cores
     * ({@link CoreScaling.Measurement#onProcessor}, and why the two differ there); nothing when they
     * did not fall short or the JVM could not read their processor time.
     */
    private static String whoTookTheCores(CoreScaling.Measurement compute) {
        List<CoreScaling.Rate> rates = compute.rates();
        int most = rates.get(rates.size() - 1).threads();
        double share = compute.onProcessor();
        if (most < 2 || Double.isNaN(share)) {
            return "";
        }
        String measured = String.format(Locale.ROOT, "; the %d threads were on a processor %.0f%% of their time",
                most, 100 * share);
        if (share < ONLY_THIS_JOB) {
            // Counted rounds during which this JVM compiled: its own compiler may have had the rest.
            return measured + (compute.compilerRounds() > compute.setAside()
                    ? ": this JVM's JIT compiler or other programs on this machine had the rest"
                    : ": other programs on this machine had the rest");
        }
        if (compute.overOneThread(most) < ONLY_THIS_JOB * most) {
            return measured + ": the host, not a program on this machine, gave less than " + most + " full cores";
        }
        return "";
    }

    /**
     * The least share of one thread's worth per thread, and of their time on a processor, that reads
     * as the threads having their cores to themselves on the compute line ({@link #whoTookTheCores}).
     */
    static final double ONLY_THIS_JOB = 0.9;

    /**
     * The table's lines on the memory: its measured bandwidth on each thread count, with the
     * ratio over one thread, and for each precision of the results the bytes Adam's update moves
     * in a step ({@link MemoryBandwidth#updateBytesPerStep}: {@code w, m, v} where the timed
     * steps run it inside the backward pass, {@code w, m, v, g} after it) and the time that takes
     * at each bandwidth: a part of the step that more threads shorten only as much as the
     * bandwidth grows. Where entries of one precision run it in both places (the Value engine
     * beside the array engine, say), each place has a line of its own that names its entries.
     *
     * @param memory the measurement
     * @param results the engines' entries, for their precisions and where they run the update
     * @param parameters the model's parameters
     * @return the lines, without line breaks
     */
    static List<String> memoryLines(MemoryBandwidth.Measurement memory, List<Result> results, long parameters) {
        List<String> lines = new ArrayList<>();
        StringBuilder rates = new StringBuilder();
        for (MemoryBandwidth.Bandwidth b : memory.bandwidths()) {
            rates.append(rates.length() == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%s %.1f GB/s",
                    threadCount(b.threads()), b.gbPerSecond()));
            if (b.threads() > 1) {
                rates.append(String.format(Locale.ROOT, ", %.2fx", memory.overOneThread(b.threads())));
            }
        }
        lines.add(String.format(Locale.ROOT, "memory of this machine, measured: %s (4 arrays read and written as "
                + "Adam's update after the backward pass does, %.0f MB in all, median of %d alternated rounds%s, "
                + "%.2f s)", rates, memory.bufferBytes() / 1e6,
                // More than ROUNDS only when too few were quiet and every round counted (ControlRounds).
                Math.max(MemoryBandwidth.ROUNDS, memory.bandwidths().get(0).rounds().length),
                compilerRounds(memory.setAside(), memory.setAside()), memory.seconds()));
        // The entries of each precision and place, in the order of the results.
        Map<Precision, Map<MemoryBandwidth.UpdatePlace, List<Result>>> groups = new LinkedHashMap<>();
        for (Result r : results) {
            groups.computeIfAbsent(r.precision(), p -> new LinkedHashMap<>())
                    .computeIfAbsent(r.updatePlace(), p -> new ArrayList<>()).add(r);
        }
        for (Map.Entry<Precision, Map<MemoryBandwidth.UpdatePlace, List<Result>>> byPrecision : groups.entrySet()) {
            Precision precision = byPrecision.getKey();
            boolean bothPlaces = byPrecision.getValue().size() > 1;
            for (Map.Entry<MemoryBandwidth.UpdatePlace, List<Result>> group : byPrecision.getValue().entrySet()) {
                MemoryBandwidth.UpdatePlace place = group.getKey();
                long bytes = MemoryBandwidth.updateBytesPerStep(parameters, precision, place);
                StringBuilder times = new StringBuilder();
                for (MemoryBandwidth.Bandwidth b : memory.bandwidths()) {
                    times.append(times.length() == 0 ? "" : ", ").append(String.format(Locale.ROOT,
                            "%.2f ms on %s", bytes / b.gbPerSecond() / 1e6, threadCount(b.threads())));
                }
                lines.add(String.format(Locale.ROOT, "Adam's update %s%s reads and writes %.1f MB a step (%s: "
                        + "%d x %d %s numbers of %d bytes, each read and written once%s); from memory at these "
                        + "bandwidths that takes %s", bothPlaces ? "of " + entryNames(group.getValue()) + " " : "",
                        place.words(), bytes / 1e6, place.names(), place.arrays(), parameters, precision.id(),
                        MemoryBandwidth.bytesPerNumber(precision),
                        place == MemoryBandwidth.UpdatePlace.INSIDE_BACKWARD_PASS
                                ? "; each matrix's gradient is read from the caches as soon as it is summed"
                                : "; the gradients are read back and zeroed", times));
            }
        }
        return lines;
    }

    /** The entries' names for a memory line: {@code "array on 1 thread, value"}, the Value engine's without its one thread. */
    private static String entryNames(List<Result> results) {
        StringBuilder names = new StringBuilder();
        for (Result r : results) {
            names.append(names.length() == 0 ? "" : ", ").append(r.engine());
            if (!r.engine().equals(Engine.VALUE.id())) {
                names.append(" on ").append(threadCount(r.threads()));
            }
        }
        return names.toString();
    }
}
