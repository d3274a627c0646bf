package io.github.microgpt.model;

import java.util.Locale;
import java.util.Objects;
import java.util.function.Function;

/**
 * The one way {@link Engine#fromId}, {@link Architecture#fromId} and {@link Precision#fromId} turn a
 * short name (from a command line, a request, a file) into a constant, so that the three agree: case
 * is ignored, nothing else is (no trimming), {@code null} is a {@link NullPointerException} as
 * everywhere in this library, and an unknown name is an {@link IllegalArgumentException} whose
 * message quotes it and lists the names there are, taken from the constants themselves.
 */
final class ShortIds {

    private ShortIds() {
    }

    /**
     * The constant with a short name.
     *
     * @param kind what the names name, for the message: {@code "engine"}
     * @param constants the enum's {@code values()}
     * @param idOf a constant's short name, in lower case
     * @param id the name to look up
     * @param <E> the enum
     * @return the constant whose short name equals {@code id}, ignoring case
     * @throws NullPointerException if {@code id} is null
     * @throws IllegalArgumentException if no constant has that name, for example
     *     {@code unknown engine "fast"; the engines are value and array}
     */
    static <E extends Enum<E>> E find(String kind, E[] constants, Function<E, String> idOf, String id) {
        Objects.requireNonNull(id, "id");
        String wanted = id.toLowerCase(Locale.ROOT);
        StringBuilder known = new StringBuilder();
        for (int i = 0; i < constants.length; i++) {
            String name = idOf.apply(constants[i]);
            if (name.equals(wanted)) {
                return constants[i];
            }
            known.append(i == 0 ? "" : i == constants.length - 1 ? " and " : ", ").append(name);
        }
        throw new IllegalArgumentException("unknown " + kind + " \"" + id + "\"; the " + kind + "s are " + known);
    }
}
