package io.github.microgpt.checkpoint;

import io.github.microgpt.model.Precision;

/**
 * How the numbers of a tensor are stored in a safetensors file. Only the two floating-point
 * types a microgpt model needs are supported. Not API: {@link Checkpoint#save} stores a model's
 * numbers in the type of its own {@link io.github.microgpt.model.Precision} ({@link #of}), and a
 * load reads either type.
 */
enum DType {

    /**
     * IEEE 754 double precision, 8 bytes little-endian per number: the model's own precision, so
     * saving and loading changes nothing. The default, and what an exact resume needs.
     */
    F64(8),

    /**
     * IEEE 754 single precision, 4 bytes little-endian per number: half the size, and what most
     * PyTorch code expects, but each weight is rounded to about 7 significant digits, so a model
     * loaded from it computes slightly different numbers.
     */
    F32(4);

    private final int byteSize;

    DType(int byteSize) {
        this.byteSize = byteSize;
    }

    /**
     * The number of bytes of one number.
     *
     * @return 8 or 4
     */
    int byteSize() {
        return byteSize;
    }

    /**
     * The type that stores numbers of a precision exactly.
     *
     * @param precision a precision
     * @return {@link #F32} for single precision, {@link #F64} for double
     */
    static DType of(Precision precision) {
        return precision == Precision.F32 ? F32 : F64;
    }

    /**
     * The type with a safetensors name.
     *
     * @param name {@code "F64"} or {@code "F32"}, as in the {@code dtype} field of a header
     * @return the type, or {@code null} if this library does not read that type
     */
    static DType fromName(String name) {
        for (DType type : values()) {
            if (type.name().equals(name)) {
                return type;
            }
        }
        return null;
    }
}
