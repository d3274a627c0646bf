/**
 * The {@code microgpt} command line, built on picocli:
 * {@link io.github.microgpt.examples.cli.MicrogptCommand} is the top command and says how to add
 * a subcommand; {@link io.github.microgpt.examples.cli.TrainCommand} is {@code microgpt train} (with
 * {@code --save} and {@code --resume} for checkpoints) and
 * {@link io.github.microgpt.examples.cli.GenerateCommand} is {@code microgpt generate}, which samples
 * from a saved model.
 *
 * <p>Commands reach stdout, stderr and the environment only through a
 * {@link io.github.microgpt.examples.cli.CliContext}, so tests run them in-process with captured
 * streams. User mistakes become a {@link io.github.microgpt.examples.cli.UsageException} (one
 * line, exit code 2); a failed run a {@link io.github.microgpt.examples.cli.CommandFailedException}
 * (one line, exit code 1).
 */
package io.github.microgpt.examples.cli;
