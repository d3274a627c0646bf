package io.github.microgpt.vector;

import jdk.incubator.vector.DoubleVector;

/**
 * How many vector registers the kernels may keep busy at once, which decides the shape of their
 * register blocks: a block of outputs summed in registers while the terms go by must fit, with
 * the operands it loads, in the registers the processor has, or the JIT spills the sums to the
 * stack on every term.
 *
 * <p>x86 processors with AVX-512 have 32 vector registers; with AVX2 (and SSE) only 16. The
 * Vector API does not say which, so the preferred vector length stands in for it: eight doubles
 * (512 bits) means AVX-512 and 32 registers; anything shorter is taken as 16, which is right for
 * AVX2 and only cautious on an AVX-512 machine whose vectors were capped shorter. The system
 * property {@code microgpt.vector.registers} ({@code 16} or {@code 32}) overrides the guess, so
 * that the tests run both shapes on any machine.
 */
final class Registers {

    /** 16 or 32: see the class comment. */
    static final int COUNT = count(System.getProperty("microgpt.vector.registers"),
            DoubleVector.SPECIES_PREFERRED.length());

    private Registers() {
    }

    /** The register count asked for by {@code property}, or guessed from the doubles per vector. */
    static int count(String property, int doublesPerVector) {
        if (property == null || property.isBlank()) {
            return doublesPerVector >= 8 ? 32 : 16;
        }
        return switch (property.strip()) {
            case "16" -> 16;
            case "32" -> 32;
            default -> throw new IllegalArgumentException(
                    "microgpt.vector.registers must be 16 or 32, not '" + property + "'");
        };
    }
}
