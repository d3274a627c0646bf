package io.github.microgpt.model;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The refusal of a settings record's value ({@link GptConfig}'s, and
 * {@link io.github.microgpt.optim.AdamSettings}'s): which component it refused, and a message that
 * names the components by their record names ({@code "nEmbd (6) must be divisible by nHead (4)
 * ..."}) or by any names a caller gives them.
 *
 * <p>A program shows a refusal in its own words: a command line by its options, a web page by its
 * labels, a checkpoint reader by the keys of its file. The record's rules stay in one place, the
 * record's constructor, and each program only maps component names to its own:
 *
 * <pre>{@code
 * try {
 *     config = new GptConfig(nLayer, nEmbd, nHead, blockSize, initStd);
 * } catch (InvalidSettingException e) {
 *     Map<String, String> options = Map.of("nEmbd", "--n-embd", "nHead", "--n-head");
 *     System.err.println(e.message(options::get));  // --n-embd (6) must be divisible by --n-head (4) ...
 * }
 * }</pre>
 *
 * <p>A settings record of your own may throw it too: write the message as a template in which
 * each component's name stands in braces, the refused one first
 * ({@code "{nEmbd} (6) must be divisible by {nHead} (4)"}). It is an
 * {@link IllegalArgumentException}, so code that catches those catches it as before.
 */
public final class InvalidSettingException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    /** A component's name in braces: a Java identifier, so that other braces stay text. */
    private static final Pattern COMPONENT = Pattern.compile("\\{([A-Za-z_$][A-Za-z0-9_$]*)}");

    /** The message with each component's name in braces. */
    private final String template;
    /** The components the message names, in order, each once; the first is the refused one. */
    private final List<String> components;

    /**
     * A refusal with its message written as a template.
     *
     * @param template the message, each component's name in braces, the refused component first:
     *     for example {@code "{nLayer} must be at least 1, got 0"}
     * @throws NullPointerException if {@code template} is null
     * @throws IllegalArgumentException if the template names no component in braces (a refusal
     *     says which value it refuses)
     */
    public InvalidSettingException(String template) {
        super(fill(Objects.requireNonNull(template, "template"), Function.identity()));
        List<String> named = new ArrayList<>();
        Matcher m = COMPONENT.matcher(template);
        while (m.find()) {
            if (!named.contains(m.group(1))) {
                named.add(m.group(1));
            }
        }
        if (named.isEmpty()) {
            throw new IllegalArgumentException("a setting's refusal names the component it refuses in braces, such as"
                    + " {nEmbd}; got \"" + template + "\"");
        }
        this.template = template;
        this.components = Collections.unmodifiableList(named);
    }

    /**
     * The component refused: the first one the message names.
     *
     * @return for example {@code "nEmbd"}
     */
    public String component() {
        return components.get(0);
    }

    /**
     * Every component the message names, in order, the refused one first: a rule between two
     * values names both ({@code [nEmbd, nHead]} when the heads do not divide the width).
     *
     * @return an unmodifiable list of one or more names
     */
    public List<String> components() {
        return components;
    }

    /**
     * The message with each component named as {@code names} says: the one way to show the
     * refusal in a program's own words, without editing the message's text.
     *
     * @param names a component's name for the reader, given its record name; {@code null} for a
     *     component the caller has no name of its own for, which then keeps its record name
     * @return for example {@code "--n-embd (6) must be divisible by --n-head (4) so that every head
     *     gets the same number of dimensions"}
     * @throws NullPointerException if {@code names} is null
     */
    public String message(Function<? super String, String> names) {
        return fill(template, Objects.requireNonNull(names, "names"));
    }

    private static String fill(String template, Function<? super String, String> names) {
        Matcher m = COMPONENT.matcher(template);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String name = names.apply(m.group(1));
            m.appendReplacement(out, Matcher.quoteReplacement(name == null ? m.group(1) : name));
        }
        m.appendTail(out);
        return out.toString();
    }
}
