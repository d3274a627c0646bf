/**
 * Saving trained models and resuming training: {@link io.github.microgpt.checkpoint.Checkpoint}
 * writes a directory with the weights in Hugging Face's safetensors format (readable from Python
 * with {@code safetensors} and PyTorch), the configuration and vocabulary in JSON, and optionally
 * a {@link io.github.microgpt.checkpoint.TrainingState}: the optimizer's moments, the trainer's
 * and random generator's state, the {@link io.github.microgpt.checkpoint.TrainingRun} (seed and
 * data source) and the {@link io.github.microgpt.checkpoint.LossHistory}, so that a run can stop
 * and continue bit for bit, from the command line, the simulator or a program of your own, by one
 * protocol ({@link io.github.microgpt.checkpoint.Checkpoint#resumeRecordedRun(io.github.microgpt.model.LanguageModel)}).
 * A {@link io.github.microgpt.checkpoint.SaveLock} keeps two processes from saving into one
 * directory.
 *
 * <p>Every reader here treats its input as untrusted: a damaged or hostile file (a header asking
 * for gigabytes, a FIFO in place of a file, files that disagree) is reported as a
 * {@link io.github.microgpt.checkpoint.CheckpointException} naming the file and the problem,
 * before anything large is allocated and without hanging: a FIFO or a device is refused before it
 * is opened, and a file swapped for one between that check and the open is given up after 10 s.
 *
 * <p>Inside, {@code Checkpoint} is a facade over package-private classes, none of them API:
 * {@code Safetensors} and {@code Tensor} read and write the safetensors format,
 * {@code Format} holds the names and limits,
 * {@code ConfigJson} and {@code TrainerJson} the two JSON files, {@code MatrixTensors} the copy
 * between the flat parameters and the tensors, {@code CheckpointReader} and
 * {@code CheckpointWriter} the order of reading and writing, {@code AtomicFiles} and
 * {@code InterruptedSaves} the crash safety, and {@code RunRebuilder} the wiring of a resumed run.
 */
package io.github.microgpt.checkpoint;
