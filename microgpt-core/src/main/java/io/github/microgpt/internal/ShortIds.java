package io.github.microgpt.internal;

import io.github.microgpt.text.VisibleText;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Function;

/**
 * The one way {@code Engine.fromId}, {@code Architecture.fromId} and {@code Precision.fromId} turn a
 * short name (from a command line, a request, a file) into a constant, so that the three agree: case
 * is ignored, nothing else is (no trimming), {@code null} is a {@link NullPointerException} as
 * everywhere in this library, and an unknown name is an {@link IllegalArgumentException} whose
 * message quotes it and lists the names there are, taken from the constants themselves. The
 * checkpoint reader lists the same names with {@link #list}, so its messages cannot fall behind
 * the enums either.
 */
public final class ShortIds {

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
    public static <E extends Enum<E>> E find(String kind, E[] constants, Function<E, String> idOf, String id) {
        Objects.requireNonNull(id, "id");
        String wanted = id.toLowerCase(Locale.ROOT);
        for (E constant : constants) {
            if (idOf.apply(constant).equals(wanted)) {
                return constant;
            }
        }
        throw new IllegalArgumentException("unknown " + kind + " \"" + VisibleText.escape(id) + "\"; the " + kind
                + "s are " + list(constants, idOf));
    }

    /**
     * The short names of all constants, in declaration order, as a sentence lists them:
     * {@code "bigram, mlp, attention and gpt"}.
     *
     * @param constants the enum's {@code values()}
     * @param idOf a constant's short name
     * @param <E> the enum
     * @return the names, joined by commas and a final "and"
     */
    public static <E extends Enum<E>> String list(E[] constants, Function<E, String> idOf) {
        StringBuilder known = new StringBuilder();
        for (int i = 0; i < constants.length; i++) {
            known.append(i == 0 ? "" : i == constants.length - 1 ? " and " : ", ").append(idOf.apply(constants[i]));
        }
        return known.toString();
    }
}
