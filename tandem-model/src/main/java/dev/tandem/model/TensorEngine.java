package dev.tandem.model;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;

/**
 * Starts DJL's PyTorch engine the way Tandem needs it: offline (the native library comes from the
 * {@code pytorch-native-cpu} jar on the class path, never from the network) and with explicit thread counts.
 *
 * <p>Call {@link #start()} before creating any NDManager. Thread counts come from {@code TANDEM_THREADS} (default:
 * the number of available processors) for intra-op work and 1 for inter-op work.
 */
public final class TensorEngine {
    private TensorEngine() {}

    /** Starts (or returns the already started) PyTorch engine. */
    public static Engine start() {
        System.setProperty("ai.djl.offline", "true");
        System.setProperty("offline", "true");
        int threads = threads();
        // Read by PtEngine when it starts; set here so the first start uses them.
        System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        Engine engine = Engine.getEngine("PyTorch");
        if (JniUtils.getNumThreads() != threads) JniUtils.setNumThreads(threads);
        return engine;
    }

    /**
     * Runs {@code work} under libtorch's profiler and writes what it recorded as a Chrome trace to {@code file}, for
     * chrome://tracing or Perfetto: the ops the calling thread ran (not other threads'), with their times; the traces
     * seen so far carried no input shapes. One profile at a time per process.
     */
    public static void profile(java.nio.file.Path file, Runnable work) {
        JniUtils.startProfile(false, true, false);
        try {
            work.run();
        } finally {
            JniUtils.stopProfile(file.toAbsolutePath().toString());
        }
    }

    /** The intra-op thread count Tandem uses. */
    public static int threads() {
        String env = System.getenv("TANDEM_THREADS");
        if (env != null && !env.isBlank()) {
            try {
                int n = Integer.parseInt(env.trim());
                if (n > 0) return n;
            } catch (NumberFormatException ignored) {
                // fall through to the default
            }
            throw new IllegalArgumentException("TANDEM_THREADS must be a positive integer, got '" + env + "'");
        }
        return Runtime.getRuntime().availableProcessors();
    }
}
