package dev.tandem.model;

import ai.djl.ndarray.NDArray;

/**
 * Scalar operands for tensors that take part in autograd.
 *
 * <p>DJL 0.36's PyTorch engine implements {@code x.mul(2f)}, {@code div}, {@code pow}, {@code maximum},
 * {@code minimum} (and {@code add}, {@code sub}) with a {@code Number} by creating a 0-d tensor over a fresh direct
 * buffer ({@code from_blob}, no copy), running the op, and closing that tensor at once. Autograd may have saved the
 * scalar for the backward pass ({@code mul}, {@code div}, {@code pow}, {@code maximum}, {@code minimum} do); when a
 * garbage collection frees the buffer between forward and backward, the backward pass reads reused memory and the
 * gradients come out wrong or NaN, depending on when the JVM collects. (Found through an order-dependent loss test;
 * it also explains rare NaN gradient norms in PPO and IPO runs on a loaded machine.)
 *
 * <p>{@link #of} creates the scalar in the operand's own manager and leaves it there, so it lives until that manager
 * closes, which in a training step is after the backward pass. Write {@code x.mul(GraphScalars.of(x, c))} instead of
 * {@code x.mul(c)} wherever {@code x} may require a gradient. {@code clip(min, max)} passes its bounds by value and is
 * safe as it is.
 */
public final class GraphScalars {
    private GraphScalars() {}

    /** A float32 0-d array holding {@code value}, owned by {@code like}'s manager. */
    public static NDArray of(NDArray like, float value) {
        return like.getManager().create(value);
    }
}
