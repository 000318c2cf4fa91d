package dev.tandem.reward;

import ai.djl.ndarray.NDArray;

/**
 * Scalar operands for tensors that take part in autograd.
 *
 * <p>DJL 0.36's PyTorch engine implements {@code x.mul(2f)}, {@code div}, {@code pow}, {@code maximum} and the other
 * {@code (Number)} overloads by creating a 0-d tensor over a fresh direct {@code ByteBuffer} ({@code from_blob}, no
 * copy), running the op, and closing that tensor at once. Closing drops the only Java reference to the buffer, but
 * autograd may have saved the scalar for the backward pass ({@code mul}, {@code div}, {@code pow}, {@code maximum} do).
 * If a garbage collection runs between forward and backward, the buffer's memory is freed and reused, and the
 * backward pass reads garbage: wrong gradients or NaN, depending on when the JVM collects. (That was the
 * order-dependent {@code LossesTest} failure after the transformer tests, and NaN gradient norms in {@code tandem rm
 * train --kind transformer} on a loaded machine.)
 *
 * <p>{@link #of} creates the scalar in the operand's own manager and leaves it there, so it lives until that manager
 * closes, which in a training step is after the backward pass. Use {@code x.mul(GraphScalars.of(x, c))} instead of
 * {@code x.mul(c)} for any {@code x} that may require a gradient. ({@code add} and {@code sub} do not save their
 * operands, but the same form is safe there too.)
 */
public final class GraphScalars {
    private GraphScalars() {}

    /** A float32 0-d array holding {@code value}, owned by {@code like}'s manager. */
    public static NDArray of(NDArray like, float value) {
        return like.getManager().create(value);
    }
}
