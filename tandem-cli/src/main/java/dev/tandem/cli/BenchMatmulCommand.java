package dev.tandem.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.tandem.model.TensorEngine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code tandem bench matmul}: fp32 matmul throughput of the bundled libtorch (through DJL), for a square size and
 * for the decode-step shape of stories260K's classifier. Tells whether a model is compute- or overhead-bound.
 */
@Command(name = "matmul", mixinStandardHelpOptions = true,
        description = "libtorch fp32 matmul throughput through DJL (GFLOP/s, median of runs).")
public final class BenchMatmulCommand implements Callable<Integer> {
    @Option(names = "--size", defaultValue = "2048", description = "Square matrix size (default: ${DEFAULT-VALUE}).")
    int size;

    @Option(names = "--runs", defaultValue = "10", description = "Timed runs (default: ${DEFAULT-VALUE}).")
    int runs;

    @Override
    public Integer call() {
        if (size < 1 || runs < 1) throw new UserException("--size and --runs must be positive");
        TensorEngine.start();
        try (NDManager m = NDManager.newBaseManager()) {
            double small = measure(m, 64, 64, 512, Math.max(runs, 200)); // [B=64, D=64] x [64, V=512]
            System.out.printf(Locale.ROOT, "small 64x64x512 (a decode step's classifier): %.1f GFLOP/s%n", small);
            double big = measure(m, size, size, size, runs);
            System.out.printf(Locale.ROOT, "GFLOP/s: %.1f%n", big);
        }
        return 0;
    }

    private static double measure(NDManager m, int rows, int inner, int cols, int runs) {
        NDArray a = m.randomUniform(-1f, 1f, new Shape(rows, inner));
        NDArray b = m.randomUniform(-1f, 1f, new Shape(inner, cols));
        double[] rates = new double[runs];
        for (int i = -3; i < runs; i++) {
            try (NDManager step = m.newSubManager()) {
                NDArray x = a.duplicate();
                x.attach(step);
                // libtorch CPU ops run synchronously in the calling thread: the call returns with the result computed.
                // Copying it to the JVM (16 MB at 2048) is not timed: it is not part of the matmul.
                long t0 = System.nanoTime();
                NDArray c = x.matMul(b);
                long t1 = System.nanoTime();
                if (!Float.isFinite(c.sum().getFloat())) throw new IllegalStateException("matmul gave a non-finite sum");
                if (i >= 0) rates[i] = 2.0 * rows * inner * cols / (t1 - t0);
            }
        }
        Arrays.sort(rates);
        return rates[runs / 2];
    }
}
