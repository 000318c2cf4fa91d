package dev.tandem.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import dev.tandem.model.GraphScalars;
import dev.tandem.model.Llama;
import dev.tandem.model.TensorEngine;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;

/**
 * Data-parallel gradients on one machine, as PyTorch's DistributedDataParallel does across processes: a batch is
 * split into shards, each shard runs forward and backward on its own thread against a replica of the model, and the
 * replicas' gradients are added to the model's in shard order (so a run is deterministic).
 *
 * <p>A replica's parameters are detached aliases of the model's: the same storage (an optimizer step on the model
 * is seen by every replica at once) with their own gradients. On a shard's thread libtorch runs with one intra-op
 * thread; for a model as small as stories260K that beats splitting each small op over the cores (measured in
 * docs/benchmarks.md). The caller's thread gets its thread count back after every {@link #run}.
 *
 * <p>Each shard's loss must be its share of the batch's loss (for a mean over rows: the shard's mean times its
 * fraction of the rows), so that the summed gradients equal the whole batch's.
 */
public final class DataParallel implements AutoCloseable {

    /** One shard's work: forward on the replica in {@code m}, returning the loss to back-propagate and a value. */
    @FunctionalInterface
    public interface Task<T> {
        Shard<T> run(Llama replica, NDManager m);
    }

    /**
     * What a shard gives back: the loss to back-propagate (a scalar) and a value for the caller, which must not hold
     * arrays of the shard's manager (it is closed when the task returns).
     */
    public record Shard<T>(NDArray loss, T value) {
        public Shard {
            Objects.requireNonNull(loss, "loss");
        }
    }

    private final Llama model;
    private final List<Llama> replicas;             // their parameters: the model's, by the same names
    private final List<ExecutorService> threads;    // one thread per shard, so its libtorch settings stay

    /** The number of shards to use: {@code TANDEM_SHARDS} if set, else one per libtorch thread (TANDEM_THREADS). */
    public static int defaultShards() {
        String env = System.getenv("TANDEM_SHARDS");
        if (env == null || env.isBlank()) return TensorEngine.threads();
        try {
            int n = Integer.parseInt(env.trim());
            if (n > 0) return n;
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new IllegalArgumentException("TANDEM_SHARDS must be a positive integer, got '" + env + "'");
    }

    /**
     * Replicas of {@code model} for {@code shards} shards. Every parameter of the model is trained (see
     * {@link Llama#setTrainable}).
     */
    public DataParallel(Llama model, int shards) {
        if (shards < 1) throw new IllegalArgumentException("shards must be >= 1, got " + shards);
        this.model = model;
        defineGradients(new ArrayList<>(model.parameters().values()));
        replicas = new ArrayList<>();
        threads = new ArrayList<>();
        for (int s = 0; s < shards; s++) {
            NDManager owner = model.manager().newSubManager();
            Map<String, NDArray> alias = new LinkedHashMap<>();
            for (var e : model.parameters().entrySet()) {
                NDArray a = e.getValue().stopGradient();            // same storage, no autograd history
                a.attach(owner);
                a.setRequiresGradient(true);
                alias.put(e.getKey(), a);
            }
            replicas.add(new Llama(model.config(), owner, alias));
            int shard = s;
            threads.add(Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "tandem-shard-" + shard);
                t.setDaemon(true);
                return t;
            }));
        }
    }

    public int shards() { return replicas.size(); }

    /** Items [from, to) of a batch: one shard's part. */
    public record Part(int from, int to) {
        public int size() { return to - from; }
    }

    /**
     * A batch of {@code n} items split into contiguous parts as even as possible, one per shard (fewer when
     * {@code n} is smaller than {@link #shards()}), in order.
     */
    public List<Part> split(int n) {
        int parts = Math.min(shards(), n);
        List<Part> out = new ArrayList<>(parts);
        for (int k = 0; k < parts; k++) out.add(new Part(k * n / parts, (k + 1) * n / parts));
        return out;
    }

    /**
     * Runs task i on replica i, each on its own thread, back-propagates each task's loss there, then adds every
     * replica's gradients to the model's parameters (accumulating, like a backward pass; zero them before a step).
     * At most {@link #shards()} tasks. Returns the tasks' values in order; the first failure is rethrown.
     */
    public <T> List<T> run(List<Task<T>> tasks) {
        if (tasks.size() > shards()) throw new IllegalArgumentException("at most " + shards() + " tasks, got " + tasks.size());
        List<Callable<T>> work = new ArrayList<>();
        for (int s = 0; s < tasks.size(); s++) {
            Task<T> task = tasks.get(s);
            Llama replica = replicas.get(s);
            work.add(() -> runShard(task, replica));
        }
        List<T> values;
        try {
            values = onShards(work);
        } catch (RuntimeException e) {
            for (Llama r : replicas) for (NDArray a : r.parameters().values()) JniUtils.zeroGrad((PtNDArray) a);
            throw e;
        }
        try (NDManager tmp = model.manager().newSubManager()) {                 // getGradient() makes a new handle
            for (var p : model.parameters().entrySet()) {
                NDArray grad = p.getValue().getGradient();
                grad.attach(tmp);
                for (Llama r : replicas.subList(0, tasks.size())) {
                    NDArray a = r.parameters().get(p.getKey()), g = a.getGradient();
                    g.attach(tmp);
                    grad.addi(g);
                    JniUtils.zeroGrad((PtNDArray) a);
                }
            }
        }
        return values;
    }

    /**
     * Runs work i on shard thread i with one libtorch thread and no autograd graph, for forward passes that need no
     * gradient (a frozen reference model's log-probs, say): models are only read, so they need no replicas. At most
     * {@link #shards()} pieces; returns their values in order; the first failure is rethrown.
     */
    public <T> List<T> map(List<Supplier<T>> work) {
        List<Callable<T>> pieces = new ArrayList<>();
        for (Supplier<T> piece : work) {
            pieces.add(() -> {
                JniUtils.setNumThreads(1);
                boolean gradMode = JniUtils.isGradMode();
                JniUtils.setGradMode(false);
                try {
                    return piece.get();
                } finally {
                    JniUtils.setGradMode(gradMode);
                }
            });
        }
        return onShards(pieces);
    }

    /**
     * Runs work i on shard thread i and waits for all of them; the shards set libtorch's (process-wide) intra-op
     * thread count to 1, so the caller gets its count back afterwards. The first failure is rethrown.
     */
    private <T> List<T> onShards(List<Callable<T>> work) {
        if (work.isEmpty() || work.size() > shards()) {
            throw new IllegalArgumentException("need 1.." + shards() + " pieces of work, got " + work.size());
        }
        List<Future<T>> pending = new ArrayList<>();
        for (int s = 0; s < work.size(); s++) pending.add(threads.get(s).submit(work.get(s)));
        try {
            return collect(pending);
        } finally {
            JniUtils.setNumThreads(TensorEngine.threads());
        }
    }

    /** The futures' values in order, after all of them finished; the first failure is rethrown. */
    private static <T> List<T> collect(List<Future<T>> pending) {
        List<T> values = new ArrayList<>();
        RuntimeException failure = null;
        for (Future<T> f : pending) {
            try {
                values.add(f.get());
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                if (failure == null) {
                    failure = cause instanceof RuntimeException re ? re : new IllegalStateException(cause.toString(), cause);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                if (failure == null) failure = new IllegalStateException("interrupted while waiting for a shard", e);
            }
        }
        if (failure != null) throw failure;
        return values;
    }

    private static <T> T runShard(Task<T> task, Llama replica) {
        JniUtils.setNumThreads(1);
        boolean gradMode = JniUtils.isGradMode();
        JniUtils.setGradMode(true);                                     // per thread in libtorch
        try (NDManager m = replica.manager().newSubManager()) {
            Shard<T> shard = task.run(replica, m);
            NDArray loss = shard.loss();
            JniUtils.backward((PtNDArray) loss, (PtNDArray) m.ones(loss.getShape(), loss.getDataType()), false, false);
            return shard.value();
        } finally {
            JniUtils.setGradMode(gradMode);
        }
    }

    /**
     * libtorch creates a parameter's {@code .grad} only in a backward pass, and DJL hands out a detached zero array
     * for a missing one; a backward pass of Σ 0·p creates them, so that the shards' gradients can be added in place.
     */
    private static void defineGradients(List<NDArray> params) {
        boolean gradMode = JniUtils.isGradMode();
        JniUtils.setGradMode(true);
        try (NDManager m = params.get(0).getManager().newSubManager()) {
            NDArray total = null;
            for (NDArray p : params) {
                NDArray sum = p.sum();                                  // lands in p's manager: move it to m
                sum.attach(m);
                NDArray zero = sum.mul(GraphScalars.of(sum, 0f));
                total = total == null ? zero : total.add(zero);
            }
            JniUtils.backward((PtNDArray) total, (PtNDArray) m.ones(total.getShape(), total.getDataType()), false, false);
        } finally {
            JniUtils.setGradMode(gradMode);
        }
    }

    /** Stops the shard threads and frees the replicas (the model's parameters stay). */
    @Override
    public void close() {
        for (ExecutorService t : threads) t.shutdownNow();
        for (Llama r : replicas) r.close();
    }
}
