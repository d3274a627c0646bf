/**
 * Saving trained models and resuming training: {@link io.github.microgpt.checkpoint.Checkpoint}
 * writes a directory with the weights in Hugging Face's safetensors format (readable from Python
 * with {@code safetensors} and PyTorch), the configuration and vocabulary in JSON, and optionally
 * the optimizer's moments and the trainer's and random generator's state, so that a run can stop
 * and continue bit for bit.
 *
 * <p>{@link io.github.microgpt.checkpoint.Safetensors} reads and writes safetensors files on their
 * own. Every reader here treats its input as untrusted: a damaged file is reported as a
 * {@link io.github.microgpt.checkpoint.CheckpointException} naming the file and the problem.
 */
package io.github.microgpt.checkpoint;
