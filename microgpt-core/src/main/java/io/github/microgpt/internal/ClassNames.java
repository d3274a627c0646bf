package io.github.microgpt.internal;

/**
 * Names of a user's classes for messages, lambdas included: the JVM names a lambda's class
 * {@code Main$$Lambda/0x0000745f18003000} (on Java 17 {@code Main$$Lambda$14/0x...}), and prints
 * the lambda itself with an identity hash after it, an address a reader cannot use that changes
 * from run to run.
 */
public final class ClassNames {

    private ClassNames() {
    }

    /**
     * The name of an object's class as a checkpoint records it: a lambda's is cut after
     * {@code $$Lambda}, the part that names the class that wrote it.
     *
     * @param object the object
     * @return for example {@code com.example.Main$$Lambda}, or the class's name
     */
    public static String of(Object object) {
        String name = object.getClass().getName();
        int lambda = name.indexOf("$$Lambda");
        return lambda < 0 ? name : name.substring(0, lambda + "$$Lambda".length());
    }

    /**
     * An object as a message names it: a lambda as "a lambda written in" its class, anything else
     * by its own {@code toString()}.
     *
     * @param object the object
     * @return for example {@code "a lambda written in com.example.Main"}
     */
    public static String describe(Object object) {
        String name = object.getClass().getName();
        int lambda = name.indexOf("$$Lambda");
        return lambda < 0 ? String.valueOf(object) : "a lambda written in " + name.substring(0, lambda);
    }
}
