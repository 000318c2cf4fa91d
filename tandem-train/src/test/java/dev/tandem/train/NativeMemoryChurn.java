package dev.tandem.train;

import java.lang.ref.WeakReference;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * For tests of {@link dev.tandem.model.GraphScalars}: forces a garbage collection (so unreachable direct buffers are
 * freed by their cleaners) and then allocates many small direct buffers full of NaN, which take the freed memory back.
 * Called between a forward and a backward pass, it makes any scalar that autograd saved but Java freed read NaN.
 */
public final class NativeMemoryChurn {
    private NativeMemoryChurn() {}

    /** The buffers allocated; keep them reachable until the backward pass is done. */
    public static List<ByteBuffer> collectAndReuse() {
        List<ByteBuffer> reused = new ArrayList<>();
        for (int round = 0; round < 3; round++) {
            WeakReference<Object> probe = new WeakReference<>(new Object());
            for (int i = 0; i < 50 && probe.get() != null; i++) System.gc();
            // cleaners of direct buffers run on their own thread after the collection; allocating direct memory
            // gives them time and takes freed blocks back
            for (int size : new int[] {4, 8, 16, 32, 64}) {
                for (int i = 0; i < 2000; i++) {
                    ByteBuffer b = ByteBuffer.allocateDirect(size).order(ByteOrder.nativeOrder());
                    while (b.remaining() >= 4) b.putFloat(Float.NaN);
                    reused.add(b);
                }
            }
        }
        return reused;
    }
}
