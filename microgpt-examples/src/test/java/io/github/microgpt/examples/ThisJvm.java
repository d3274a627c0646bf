package io.github.microgpt.examples;

import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The command line that runs a class of this test run in a JVM of its own, for the tests that
 * need a fresh process (its exit code, its locale, a signal): this JVM's {@code java}, with the
 * module path and the class path this JVM was started with joined into one class path (surefire
 * may put the main classes on the module path).
 */
public final class ThisJvm {

    private ThisJvm() {
    }

    /**
     * The command that runs {@code mainClass} with {@code args} in a new JVM on this run's classes.
     *
     * @param mainClass the class whose {@code main} runs
     * @param args its arguments
     * @return a modifiable list, for a {@link ProcessBuilder}
     */
    public static List<String> command(String mainClass, String... args) {
        List<String> classpath = new ArrayList<>();
        String modulePath = System.getProperty("jdk.module.path");
        if (modulePath != null && !modulePath.isEmpty()) {
            classpath.add(modulePath);
        }
        classpath.add(System.getProperty("java.class.path"));
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", String.join(File.pathSeparator, classpath), mainClass));
        command.addAll(List.of(args));
        return command;
    }
}
