package io.github.microgpt.examples.cli;

import io.github.microgpt.autograd.Value;
import java.util.Map;

/**
 * Reads a small arithmetic expression into a graph of {@link Value}s, for {@code microgpt graph}:
 * numbers, named variables, {@code + - * / ^}, parentheses and the functions {@code tanh},
 * {@code relu}, {@code exp} and {@code log}. {@code ^} takes a constant exponent (a number,
 * optionally negative), as {@link Value#pow(double)} does. The usual precedence holds:
 * {@code ^} binds tightest, then unary minus, then {@code * /}, then {@code + -}, each
 * left-associative.
 *
 * <pre>
 * expression := term (('+' | '-') term)*
 * term       := unary (('*' | '/') unary)*
 * unary      := '-' unary | power
 * power      := primary ('^' ['-'] number)?
 * primary    := number | name | function '(' expression ')' | '(' expression ')'
 * </pre>
 *
 * <p>A name is made of the letters a-z and A-Z, the digits 0-9 and _, and starts with a letter or
 * _, as {@code --var}'s names do. Every variable is one leaf, labelled with its name, however
 * often it appears (so {@code x*x} has one {@code x} with two edges), and the result is labelled
 * {@code out}.
 */
final class ExpressionParser {

    private final String text;
    private final Map<String, Value> variables;
    private int pos;
    /** How deeply parentheses, functions and unary minus are nested here. */
    private int depth;

    /** The deepest nesting read; deeper input is refused rather than overflowing the stack. */
    static final int MAX_DEPTH = 200;

    /**
     * The most operations and numbers an expression may have. A graph of this many boxes is
     * already more than a page can show; far larger ones took seconds to lay out (30,000 terms,
     * 24 s), growing faster than their size.
     */
    static final int MAX_NODES = 2_000;

    /**
     * The longest variable name or number an error message quotes whole; a longer one is cut, with
     * its length.
     */
    static final int MAX_QUOTED_NAME = 40;

    /** Operations and numbers made so far. */
    private int nodes;

    private ExpressionParser(String text, Map<String, Value> variables) {
        this.text = text;
        this.variables = variables;
    }

    /**
     * Parses and evaluates an expression.
     *
     * @param text the expression, for example {@code "tanh(x*w + b)"}
     * @param variables the leaves the names refer to
     * @return the result, labelled {@code out}
     * @throws IllegalArgumentException naming the column and what was expected, for a syntax
     *     error or a name that is neither a variable nor a function; naming the column and why, for
     *     an operation that {@link Value} refuses as Python does ({@code log(0)}, a division by 0)
     */
    static Value parse(String text, Map<String, Value> variables) {
        ExpressionParser parser = new ExpressionParser(text, variables);
        parser.skipSpaces();
        if (parser.atEnd()) {
            throw new IllegalArgumentException("the expression is empty");
        }
        Value result = parser.expression();
        parser.skipSpaces();
        if (!parser.atEnd()) {
            throw parser.unexpectedCharacter("an operator or the end");
        }
        return result.label(result.label() == null ? "out" : result.label());
    }

    private Value expression() {
        Value value = term();
        while (true) {
            skipSpaces();
            if (accept('+')) {
                value = value.add(counted(term()));
            } else if (accept('-')) {
                value = value.sub(counted(term()));
            } else {
                return value;
            }
        }
    }

    private Value term() {
        Value value = unary();
        while (true) {
            skipSpaces();
            int at = pos;
            if (accept('*')) {
                value = value.mul(counted(unary()));
            } else if (accept('/')) {
                Value dividend = value;
                Value divisor = counted(unary());
                value = computed(at, "the division", () -> dividend.div(divisor));
            } else {
                return value;
            }
        }
    }

    private Value unary() {
        skipSpaces();
        if (++depth > MAX_DEPTH) {
            throw error("nesting deeper than " + MAX_DEPTH + " levels", "a simpler expression");
        }
        try {
            if (accept('-')) {
                return counted(unary()).neg();
            }
            return power();
        } finally {
            depth--;
        }
    }

    private Value power() {
        Value base = primary();
        skipSpaces();
        int at = pos;
        if (accept('^')) {
            skipSpaces();
            boolean negative = accept('-');
            skipSpaces();
            refuseOtherScriptDigit();
            if (atEnd() || !startsNumber(text.charAt(pos))) {
                throw unexpected("a number after '^' (the exponent must be a constant)");
            }
            double exponent = number();
            double k = negative ? -exponent : exponent;
            return computed(at, "the power", () -> counted(base).pow(k));
        }
        return base;
    }

    private Value primary() {
        skipSpaces();
        if (atEnd()) {
            throw unexpected("a number, a variable, a function or '('");
        }
        char c = text.charAt(pos);
        if (accept('(')) {
            Value inner = expression();
            skipSpaces();
            if (!accept(')')) {
                throw unexpected("')'");
            }
            return inner;
        }
        if (startsNumber(c)) {
            return counted(new Value(number()));
        }
        refuseOtherScriptDigit();
        if (isNameStart(c)) {
            int start = pos;
            String name = name();
            skipSpaces();
            if (!atEnd() && text.charAt(pos) == '(') {
                if (!FUNCTIONS.contains("|" + name + "|")) {
                    pos = start;
                    throw error("unknown function '" + name + "'", "one of tanh, relu, exp, log");
                }
                accept('(');
                Value argument = expression();
                skipSpaces();
                if (!accept(')')) {
                    throw unexpected("')'");
                }
                counted(argument);
                return computed(start, name + "(...)", () -> switch (name) {
                    case "tanh" -> argument.tanh();
                    case "relu" -> argument.relu();
                    case "exp" -> argument.exp();
                    default -> argument.log();
                });
            }
            Value variable = variables.get(name);
            if (variable == null) {
                pos = start;
                // A name of 100,000 letters was quoted whole, twice: 200 KB on one line of stderr.
                boolean longName = name.length() > MAX_QUOTED_NAME;
                String quoted = longName ? name.substring(0, MAX_QUOTED_NAME) + "... (" + name.length()
                        + " letters)" : name;
                throw new IllegalArgumentException("unknown variable '" + quoted + "' at column " + (start + 1)
                        + " of the expression; give its value with --var " + (longName ? "NAME" : name) + "=NUMBER");
            }
            return variable;
        }
        throw unexpectedCharacter("a number, a variable, a function or '('");
    }

    /**
     * The letters a name starts with: those of {@code --var}'s names, which are ASCII. Any letter
     * of any script was taken here, and {@code é} was then an unknown variable whose value
     * {@code --var é=2} could not give.
     */
    private static boolean isNameStart(char c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_';
    }

    /** The characters a name goes on with: {@link #isNameStart}'s and the digits 0-9. */
    private static boolean isNamePart(char c) {
        return isNameStart(c) || c >= '0' && c <= '9';
    }

    /**
     * The error for a character that cannot stand at the current position. A letter or digit
     * of another script is no part of a name, and the message gives the rule names follow.
     */
    private IllegalArgumentException unexpectedCharacter(String expected) {
        if (Character.isLetterOrDigit(text.codePointAt(pos))) {
            return new IllegalArgumentException("'" + here() + "' at column " + (pos + 1) + " of the expression: a "
                    + "variable's name is made of the letters a-z and A-Z, digits and _, as --var takes it");
        }
        return error("unexpected '" + here() + "'", expected);
    }

    /** The character at the current position, whole: an emoji is one character, of two chars. */
    private String here() {
        return new String(Character.toChars(text.codePointAt(pos)));
    }

    private static final String FUNCTIONS = "|tanh|relu|exp|log|";

    private String name() {
        int start = pos;
        while (!atEnd() && isNamePart(text.charAt(pos))) {
            pos++;
        }
        return text.substring(start, pos);
    }

    private static boolean startsNumber(char c) {
        return isDigit(c) || c == '.';
    }

    /** The digits of a number: 0-9 only, as {@link NumberGrammar} and {@code --var} take them. */
    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    /**
     * Refuses a digit of another script where a number is read or goes on ({@code ٣}, {@code 2٣},
     * {@code 2e٣}, {@code ５}): the exponent was read with {@link Character#isDigit}, which takes
     * them, and elsewhere such a digit was told the rule of variable names, about a number.
     */
    private void refuseOtherScriptDigit() {
        if (!atEnd() && Character.isDigit(text.codePointAt(pos)) && !isDigit(text.charAt(pos))) {
            throw new IllegalArgumentException("'" + here() + "' at column " + (pos + 1) + " of the expression is a"
                    + " digit of another script; " + NumberGrammar.NUMBER_RULE);
        }
    }

    private double number() {
        int start = pos;
        while (!atEnd() && (startsNumber(text.charAt(pos)))) {
            pos++;
        }
        if (!atEnd() && (text.charAt(pos) == 'e' || text.charAt(pos) == 'E')) {
            int mark = pos;
            pos++;
            if (!atEnd() && (text.charAt(pos) == '+' || text.charAt(pos) == '-')) {
                pos++;
            }
            if (atEnd() || !isDigit(text.charAt(pos))) {
                refuseOtherScriptDigit();
                pos = mark;
            } else {
                while (!atEnd() && isDigit(text.charAt(pos))) {
                    pos++;
                }
            }
        }
        refuseOtherScriptDigit();
        String literal = text.substring(start, pos);
        // The numbers of every option and --var (NumberGrammar): not .5, 1. or 007, which
        // parseDouble reads; the sign is the expression's minus, read before.
        if (!NumberGrammar.isNumber(literal)) {
            pos = start;
            throw error("'" + quotedNumber(literal) + "' is not a plain decimal number",
                    "a number as --var takes one (" + NumberGrammar.NUMBER_RULE + ")");
        }
        try {
            double number = Double.parseDouble(literal);
            if (Double.isInfinite(number)) {
                pos = start;
                throw new IllegalArgumentException("the number " + quotedNumber(literal) + " at column " + (start + 1)
                        + " of the expression is not finite; numbers must be finite, as --var values are");
            }
            // 1e-400 was read as 0 without a word, and the graph drawn with a 0 the user never wrote.
            if (number == 0 && PositiveNumber.hasNonZeroDigit(literal)) {
                pos = start;
                throw new IllegalArgumentException("the number " + quotedNumber(literal) + " at column " + (start + 1)
                        + " of the expression is too small: it rounds to 0 (the smallest a double holds is "
                        + Double.MIN_VALUE + "), as it would for a --var value");
            }
            return number;
        } catch (NumberFormatException e) {
            pos = start;
            throw error("'" + quotedNumber(literal) + "' is not a number", "a number such as 2, -0.5 or 1e-3");
        }
    }

    /**
     * A number literal as a message quotes it: whole, or its first {@value #MAX_QUOTED_NAME}
     * characters and its length, as a long name is (a literal of 100,000 digits was quoted whole).
     */
    private static String quotedNumber(String literal) {
        return literal.length() > MAX_QUOTED_NAME ? literal.substring(0, MAX_QUOTED_NAME) + "... (" + literal.length()
                + " characters)" : literal;
    }

    /** Counts one more operation or number (each call stands for one), refusing past {@link #MAX_NODES}. */
    private Value counted(Value value) {
        if (++nodes > MAX_NODES) {
            throw error("more than " + MAX_NODES + " nodes (operations and numbers)",
                    "a smaller expression: graph draws at most " + MAX_NODES);
        }
        return value;
    }

    private boolean accept(char c) {
        if (!atEnd() && text.charAt(pos) == c) {
            pos++;
            return true;
        }
        return false;
    }

    private void skipSpaces() {
        while (!atEnd() && Character.isWhitespace(text.charAt(pos))) {
            pos++;
        }
    }

    private boolean atEnd() {
        return pos >= text.length();
    }

    /**
     * The error for what stands at the current position: the character there, or the end of the
     * expression, which is said once ("the expression ends after column 3; expected ...").
     */
    private IllegalArgumentException unexpected(String expected) {
        if (atEnd()) {
            return new IllegalArgumentException("the expression ends after column " + text.length() + "; expected "
                    + expected);
        }
        return error("'" + here() + "'", expected);
    }

    /**
     * Makes the node of an operation, saying where it is when {@link Value} refuses it as
     * {@code microgpt.py} does ({@code log(0)}, a division by 0, an {@code exp} that overflows):
     * the operands are the user's numbers, so it is a mistake in the input, told in one line.
     */
    private static Value computed(int column, String what, java.util.function.Supplier<Value> operation) {
        try {
            return operation.get();
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("cannot compute " + what + " at column " + (column + 1)
                    + " of the expression: " + e.getMessage(), e);
        }
    }

    private IllegalArgumentException error(String found, String expected) {
        return new IllegalArgumentException(found + " at column " + (pos + 1) + " of the expression; expected "
                + expected);
    }
}
