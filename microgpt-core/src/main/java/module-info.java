/**
 * microgpt: a tiny GPT trained from first principles, reproducing Karpathy's {@code microgpt.py}
 * exactly.
 *
 * <h2>Start here: a lesson in six steps</h2>
 * <ol>
 *   <li>{@link io.github.microgpt.autograd.Value} — a number that remembers how it was made;
 *       {@code backward()} finds every derivative. Draw the graph behind a result with
 *       {@link io.github.microgpt.autograd.ExpressionGraph}.</li>
 *   <li>{@link io.github.microgpt.text.Tokenizer} — characters to token ids and back, with BOS
 *       marking where a name starts and ends; {@link io.github.microgpt.text.Documents} — the
 *       names to learn.</li>
 *   <li>The models, one step at a time, all {@link io.github.microgpt.model.LanguageModel}s:
 *       {@link io.github.microgpt.model.BigramModel} (a table of logits),
 *       {@link io.github.microgpt.model.MlpModel} (embeddings of the last three tokens),
 *       {@link io.github.microgpt.model.AttentionModel} (attention over every earlier position)
 *       and {@link io.github.microgpt.model.GptModel} ({@code microgpt.py}'s GPT). Write your own
 *       forward pass with {@link io.github.microgpt.model.ValueOps} on a
 *       {@link io.github.microgpt.model.ValueLanguageModel}.</li>
 *   <li>{@link io.github.microgpt.train.Trainer} with
 *       {@link io.github.microgpt.optim.AdamOptimizer} — one document per step: loss, backward,
 *       update.</li>
 *   <li>{@link io.github.microgpt.sample.Sampler} — new names, one token at a time.</li>
 *   <li>Looking inside: {@link io.github.microgpt.sample.NextToken} (what comes after a prefix)
 *       and {@link io.github.microgpt.train.Evaluation} (the loss on names never trained on).</li>
 * </ol>
 * The programs in the examples module ({@code NeuronExample}, {@code GraphExample},
 * {@code BigramExample} to {@code GptExample}, {@code ProgressionExample}, {@code EditGptExample},
 * {@code LookingInsideExample}, {@code TrainAndSampleExample}) walk this path with output to
 * compare against.
 *
 * <h2>The packages</h2>
 * <ul>
 *   <li>{@link io.github.microgpt.autograd} — {@code Value}, the scalar autograd engine;</li>
 *   <li>{@link io.github.microgpt.text} — the character {@code Tokenizer} and the
 *       {@code Documents} to train on;</li>
 *   <li>{@link io.github.microgpt.model} — {@code GptConfig} and the two engines, {@code GptModel}
 *       (scalar autograd) and {@code ArrayGptModel} (flat arrays);</li>
 *   <li>{@link io.github.microgpt.optim} — {@code AdamOptimizer} and learning-rate schedules;</li>
 *   <li>{@link io.github.microgpt.sample} — the {@code Sampler} that generates text;</li>
 *   <li>{@link io.github.microgpt.train} — the {@code Trainer} and its listener hooks;</li>
 *   <li>{@link io.github.microgpt.random} — the random source, with a port of CPython's;</li>
 *   <li>{@link io.github.microgpt.checkpoint} — saving and loading models, resuming training.</li>
 * </ul>
 *
 * <h2>Supporting types for the project's own tools</h2>
 * A few public types and methods exist for the command line, the simulator and the benchmarks of
 * the examples and benchmarks modules, rather than for a program that trains or samples:
 * {@link io.github.microgpt.model.FlopCount} (the benchmarks' arithmetic per step),
 * {@link io.github.microgpt.model.ArrayKernels} (which matrix kernels run),
 * {@link io.github.microgpt.text.VisibleText} (text made safe to print),
 * {@link io.github.microgpt.checkpoint.SaveLock} (one saver a directory),
 * {@link io.github.microgpt.text.Documents#isRefusedCharacter},
 * {@link io.github.microgpt.checkpoint.Checkpoint#checkVocabulary} and
 * {@link io.github.microgpt.checkpoint.Checkpoint#checkSaveTarget} (a refusal before a long run
 * rather than after it). They are documented and safe to use, but they follow the tools: a minor
 * release may change or remove them, where the rest of the API changes only in a major one.
 *
 * <h2>Conventions</h2>
 * <ul>
 *   <li>A {@code null} argument is refused at once, before anything changes, with a
 *       {@link java.lang.NullPointerException} whose message is the parameter's name, unless the
 *       parameter's description says {@code null} is allowed; a method's own {@code @throws}
 *       lists the other exceptions. The one exception is {@code Value}'s arithmetic
 *       ({@code add}, {@code mul}, {@code sum}, ...), the first class a learner calls: its message
 *       names the operation as well as the parameter, and what may be given instead
 *       ({@code Value.add(other): other is null; give a Value, or a double for a constant}).</li>
 *   <li>A short name from a command line or a file becomes a constant through {@code fromId}
 *       ({@link io.github.microgpt.model.Engine#fromId}, {@link io.github.microgpt.model.Architecture#fromId},
 *       {@link io.github.microgpt.model.Precision#fromId}): any case, an unknown name an
 *       {@link java.lang.IllegalArgumentException} that lists the known ones.</li>
 *   <li>A setting out of range is refused when its record is made
 *       ({@link io.github.microgpt.model.GptConfig}, {@link io.github.microgpt.optim.AdamSettings}),
 *       with an {@link io.github.microgpt.model.InvalidSettingException}: an
 *       {@code IllegalArgumentException} that names the component it refused and tells its
 *       message in a program's own names for the components (an option, a label, a file's
 *       key).</li>
 *   <li>Values and reports carry different promises. A value is a record, whoever makes it: the
 *       settings you make ({@link io.github.microgpt.model.GptConfig},
 *       {@link io.github.microgpt.optim.AdamSettings},
 *       {@link io.github.microgpt.sample.SamplingOptions}, ...) and the values the library hands
 *       you that a program may also make, compare or keep
 *       ({@link io.github.microgpt.model.MatrixLayout},
 *       {@link io.github.microgpt.checkpoint.DataFingerprint},
 *       {@link io.github.microgpt.train.TrainerState},
 *       {@link io.github.microgpt.checkpoint.TrainingState} and its parts): its components are the
 *       whole value, checked when it is made, and change only in a major release. A report of
 *       what happened, which only the library makes (the listener events such as
 *       {@link io.github.microgpt.train.StepEvent},
 *       {@link io.github.microgpt.sample.NextToken.Candidate}, the nodes, edges and steps of an
 *       {@link io.github.microgpt.autograd.ExpressionGraph},
 *       {@link io.github.microgpt.checkpoint.ResumedTraining}), is a final class with accessors
 *       and no public constructor, so that a minor release can add an accessor without breaking
 *       a program.</li>
 *   <li>Numbers are Java's {@code double}s, and where {@code microgpt.py}'s {@code Value} raises, so does
 *       {@link io.github.microgpt.autograd.Value}: {@code new Value(0).log()} and {@code new Value(-1).log()}
 *       throw an {@link java.lang.ArithmeticException} where Python's {@code math.log} raises
 *       {@code ValueError}, {@code new Value(1000).exp()} where {@code math.exp} raises
 *       {@code OverflowError}, {@code new Value(0).pow(-1)} (and a division by a {@code Value} of 0) where
 *       {@code 0.0 ** -1} raises {@code ZeroDivisionError}, each naming the operation and its operand,
 *       rather than a minus infinity or a NaN that would spread silently. A number that is not finite
 *       can still arise (an addition that overflows, as in Python, a parameter set to NaN) and spreads
 *       to everything computed from it, gradients included; the trainer stops at a loss that is not
 *       finite ({@link io.github.microgpt.train.TrainingDivergedException}; a target's probability
 *       that underflows to 0 gives an infinite loss in both engines) and the sampler at logits that
 *       are not ({@link io.github.microgpt.sample.NonFiniteLogitsException}).</li>
 *   <li>Gradients are {@code grad} as in {@code microgpt.py}'s {@code p.grad}:
 *       {@link io.github.microgpt.autograd.Value#grad()},
 *       {@link io.github.microgpt.model.Parameters#grads()},
 *       {@link io.github.microgpt.train.GradientEvent#grads()}.</li>
 * </ul>
 */
// The qualified export below names microgpt-vector, which requires this module and so is never
// on the path when this one compiles: javac's 'module not found' for it is expected, not a fault.
@SuppressWarnings("module")
module io.github.microgpt {
    exports io.github.microgpt.autograd;
    exports io.github.microgpt.checkpoint;
    exports io.github.microgpt.model;
    exports io.github.microgpt.optim;
    exports io.github.microgpt.random;
    exports io.github.microgpt.sample;
    exports io.github.microgpt.text;
    exports io.github.microgpt.train;

    // The array engine's matrix products may come from the optional microgpt-vector module (Vector
    // API kernels); without it, or without jdk.incubator.vector, the core's own loops run.
    exports io.github.microgpt.internal.kernels to io.github.microgpt.vector;
    uses io.github.microgpt.internal.kernels.MatrixKernels;
    uses io.github.microgpt.internal.kernels.SmallKernels;
}
