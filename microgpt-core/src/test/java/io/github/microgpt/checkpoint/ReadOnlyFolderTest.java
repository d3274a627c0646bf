package io.github.microgpt.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.abort;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.GptModel;
import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.text.Tokenizer;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A checkpoint folder its user may not write to (mode 555): {@link Checkpoint#checkSaveTarget}
 * says "permission denied" in its own words, and a save fails without leaving anything there.
 *
 * <p>The other tests of a place that cannot be written use a path under a regular file or under
 * {@code /proc}, because they run as root here, and permissions do not stop root: a folder of mode
 * 555 takes root's files as any other. Only a process without root's privileges meets the
 * kernel's refusal (EACCES, which Java reports as an {@link java.nio.file.AccessDeniedException}).
 * So where this test runs as root, the check and the save run in a second JVM started as the
 * unprivileged user {@code nobody} ({@code setpriv}, which gives up privileges and gains none),
 * with only the core's classes and this test's on its class path; the folder is the root's, so
 * that user cannot write to it whatever its mode. Where the test runs as another user, as it does
 * on CI, it checks in its own JVM. It steps aside, saying why, where neither works: no POSIX file
 * permissions, no {@code setpriv} or no user {@code nobody}, or a second JVM that cannot read the
 * classes (a build under {@code /root}, whose mode is 700).
 */
class ReadOnlyFolderTest {

    private static final String STARTED = "the check as another user started";

    @Test
    void aFolderTheUserMayNotWriteToIsRefusedWithPermissionDenied(@TempDir Path dir) throws Exception {
        Path folder = Files.createDirectory(dir.resolve("read-only"));
        try {
            Files.setPosixFilePermissions(folder, PosixFilePermissions.fromString("r-xr-xr-x"));
            // The other user must reach the folder: JUnit makes its temporary directory owner-only.
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        } catch (UnsupportedOperationException e) {
            abort("this file system has no POSIX permissions");
        }
        Path target = folder.resolve("run");
        try {
            List<String> lines = refusals(target);
            if (lines.isEmpty()) {
                lines = asAnotherUser(target);
            }
            assertEquals(List.of("check: " + target + ": cannot be written: creating a file in " + folder
                    + " failed (permission denied)", "save refused"), lines.subList(0, 2));
            // The save's own message names the folder (the lock it could not create there).
            assertTrue(lines.get(2).contains(folder.toString()), lines.toString());
            assertTrue(lines.get(2).startsWith(CheckpointException.class.getName() + ": " + target
                    + ": cannot take the save lock") && lines.get(2).contains("(permission denied)"), lines.toString());
            try (Stream<Path> left = Files.list(folder)) {
                assertEquals(List.of(), left.toList(), "nothing is left in the folder");
            }
        } finally {
            Files.setPosixFilePermissions(folder, PosixFilePermissions.fromString("rwx------"));
        }
    }

    /**
     * The check and the save in this JVM: their three lines (see {@link Child}), or none if this
     * process may write to the folder anyway (root), in which case whatever they wrote is removed.
     */
    private static List<String> refusals(Path target) throws IOException {
        List<String> lines = Child.tryBoth(target);
        if (lines.get(0).equals("check: passed")) {
            if (Files.exists(target)) {
                try (Stream<Path> files = Files.walk(target)) {
                    for (Path file : files.sorted((a, b) -> b.compareTo(a)).toList()) {
                        Files.delete(file);
                    }
                }
            }
            try (Stream<Path> left = Files.list(target.getParent())) {
                for (Path file : left.toList()) {
                    Files.delete(file);
                }
            }
            return List.of();
        }
        return lines;
    }

    /** The check and the save in a JVM started as the user {@code nobody}: the lines it printed. */
    private static List<String> asAnotherUser(Path target) throws Exception {
        Optional<Path> setpriv = Stream.of("/usr/bin/setpriv", "/bin/setpriv", "/usr/sbin/setpriv").map(Path::of)
                .filter(Files::isExecutable).findFirst();
        assumeTrue(setpriv.isPresent(), "root ignores permissions, and there is no setpriv to run the check as"
                + " another user");
        Optional<String[]> nobody = Files.readAllLines(Path.of("/etc/passwd")).stream()
                .map(line -> line.split(":")).filter(fields -> fields.length > 3 && fields[0].equals("nobody"))
                .findFirst();
        assumeTrue(nobody.isPresent(), "root ignores permissions, and there is no user nobody to run the check as");
        String classPath = location(Checkpoint.class) + File.pathSeparator + location(ReadOnlyFolderTest.class);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(setpriv.get().toString(), "--reuid=" + nobody.get()[2],
                "--regid=" + nobody.get()[3], "--clear-groups", "--", java, "-XX:-UsePerfData", "-cp", classPath,
                Child.class.getName(), target.toString()));
        // The child's output goes to a file read after it ends, so that a child that hangs fails
        // the wait below instead of blocking a read of its pipe for ever.
        Path log = Files.createTempFile("read-only-folder", ".txt");
        String output;
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(log.toFile()).start();
            process.getOutputStream().close();
            boolean ended = process.waitFor(60, TimeUnit.SECONDS);
            if (!ended) {
                process.destroyForcibly();
            }
            assertTrue(ended, "the other user's JVM did not end");
            output = Files.readString(log, StandardCharsets.UTF_8);
        } finally {
            Files.deleteIfExists(log);
        }
        List<String> lines = output.lines().toList();
        assumeTrue(!lines.isEmpty() && lines.get(0).equals(STARTED), "the JVM as nobody could not run the check"
                + " (it cannot read the JDK or the classes?): " + output.strip());
        return lines.subList(1, lines.size());
    }

    private static String location(Class<?> type) throws Exception {
        return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    }

    /** What runs as the other user: the check and the save, one line each, and the save's message. */
    static final class Child {

        private Child() {
        }

        /**
         * Prints {@link #STARTED}, then the lines of {@link #tryBoth}.
         *
         * @param args the checkpoint directory
         * @throws IOException never: a failure is a line of the output
         */
        public static void main(String[] args) throws IOException {
            System.out.println(STARTED);
            tryBoth(Path.of(args[0])).forEach(System.out::println);
        }

        /**
         * The check's outcome ({@code check: passed} or {@code check: } and its message), whether
         * the save was refused ({@code save refused} or {@code save passed}), and the save's message.
         */
        static List<String> tryBoth(Path target) throws IOException {
            List<String> lines = new ArrayList<>();
            try {
                Checkpoint.checkSaveTarget(target);
                lines.add("check: passed");
            } catch (CheckpointException e) {
                lines.add("check: " + e.getMessage());
            }
            Tokenizer tokenizer = Tokenizer.ofCharacters("ab");
            try {
                Checkpoint.save(target, GptModel.create(new GptConfig(1, 4, 1, 4, 0.1), tokenizer.vocabSize(),
                        new PythonRandom(1)), tokenizer);
                lines.add("save passed");
                lines.add("");
            } catch (IOException e) {
                lines.add("save refused");
                lines.add(String.valueOf(e));
            }
            return lines;
        }
    }
}
