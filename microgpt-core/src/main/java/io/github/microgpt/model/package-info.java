/**
 * The models: their configuration ({@link io.github.microgpt.model.GptConfig}) and the
 * engine-neutral {@link io.github.microgpt.model.LanguageModel} that trainers and samplers use.
 *
 * <p>Over {@code Value}s, every model is a {@link io.github.microgpt.model.ValueLanguageModel}
 * that writes only its forward pass, with the helpers of {@link io.github.microgpt.model.ValueOps}:
 * the progression {@link io.github.microgpt.model.BigramModel},
 * {@link io.github.microgpt.model.MlpModel}, {@link io.github.microgpt.model.AttentionModel}
 * ({@link io.github.microgpt.model.Architecture} names them) and the GPT,
 * {@link io.github.microgpt.model.GptModel} (the one to read). The GPT has a second engine,
 * {@link io.github.microgpt.model.ArrayGptModel}, over arrays with hand-written backward passes
 * (the fast one); {@link io.github.microgpt.model.Engine} chooses between the two.
 *
 * <p>{@link io.github.microgpt.model.Precision} chooses the array engine's number type ({@code F64},
 * exact, or {@code F32}). Every model's weights and gradients are flat
 * {@link io.github.microgpt.model.Parameters}, laid out in named matrices
 * ({@link io.github.microgpt.model.ParameterLayout}, {@link io.github.microgpt.model.MatrixLayout})
 * (the GPT's in {@code microgpt.py}'s order).
 *
 * <p>A training call returns the mean loss and, if asked, what the model predicted at each
 * position ({@link io.github.microgpt.model.Predictions}); attention weights are heard by
 * {@link io.github.microgpt.model.AttentionListener}s. {@link io.github.microgpt.model.FlopCount}
 * counts the floating-point operations of a step, for turning speeds into GFLOP/s.
 * {@link io.github.microgpt.model.KvCache} holds the keys and values of the positions read so far
 * (the Python's {@code keys} and {@code values}), {@link io.github.microgpt.model.Softmax} is the
 * softmax over plain doubles, and {@link io.github.microgpt.model.ArrayKernels} says which loops
 * compute the array engine's products.
 *
 * <p>A model is trained from one thread at a time, while nothing else uses it; between steps
 * the library's models may be sampled and evaluated on many threads at once (the rule, and what
 * is refused, is in {@link io.github.microgpt.model.LanguageModel}'s comment). The array engine
 * may use more threads inside one training call
 * ({@link io.github.microgpt.model.ArrayGptModel#setThreads(int)}); listeners may be added from
 * any thread.
 */
package io.github.microgpt.model;
