package dev.tandem.cli;

import java.util.Arrays;

/** Figures the {@code tandem bench} commands report over their timed runs. */
final class BenchStats {
    private BenchStats() {}

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
