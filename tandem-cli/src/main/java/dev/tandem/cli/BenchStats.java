package dev.tandem.cli;

import java.util.Arrays;

/** Figures the {@code tandem bench} commands report over their timed runs. */
final class BenchStats {
    private BenchStats() {}

    /** How libtorch's OpenMP threads wait between ops, as the environment sets it (the launcher chooses). */
    static String ompWait() {
        String spin = System.getenv("GOMP_SPINCOUNT"), policy = System.getenv("OMP_WAIT_POLICY");
        if (spin != null) return "OpenMP spin " + spin + (policy != null ? ", " + policy : "");
        return policy != null ? "OpenMP " + policy.toLowerCase(java.util.Locale.ROOT) : "OpenMP default wait";
    }

    /** How a training step is spread over the cores: data-parallel shards, else libtorch's intra-op threads. */
    static String parallelism(int shards) {
        return shards > 1 ? shards + " data-parallel shards x 1 libtorch thread (" + ompWait() + ")"
                : dev.tandem.model.TensorEngine.threads() + " libtorch threads (" + ompWait() + ")";
    }

    /** CPU time of the whole process (all threads), for telling compute from waiting on a shared machine. */
    static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                .getOperatingSystemMXBean()).getProcessCpuTime();
    }

    static double median(double[] a) {
        double[] s = a.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    static double min(double[] a) { return Arrays.stream(a).min().orElse(Double.NaN); }

    static double max(double[] a) { return Arrays.stream(a).max().orElse(Double.NaN); }
}
