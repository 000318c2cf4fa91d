package dev.tandem.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tandem.feedback.AnnotatorKind;
import dev.tandem.feedback.Dataset;
import dev.tandem.feedback.DatasetSettings;
import dev.tandem.feedback.Judgement;
import dev.tandem.feedback.JudgementKind;
import dev.tandem.feedback.NewTask;
import dev.tandem.feedback.Prompt;
import dev.tandem.feedback.Response;
import dev.tandem.feedback.store.FeedbackStore;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.channels.Selector;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;

/**
 * Load test of the labelling loop over real HTTP on loopback: C simulated annotators each fetch a task and submit a
 * judgement, again and again, against a {@link TandemServer} in this process. Afterwards the store is checked: the
 * judgements stored equal the judgements acknowledged (none lost, none duplicated) and no task was judged twice.
 *
 * <p>The load generator shares the machine (and this JVM) with the server it measures, so it is built to cost little:
 * each annotator is a non-blocking keep-alive connection ({@link LoopbackHttp}) and two driver threads run them all
 * through selectors (no thread per annotator, no thread hand-offs); request bytes are prepared once where they repeat,
 * and replies are parsed from bytes.
 */
public final class ServeBenchmark {

    /**
     * @param clients concurrent simulated annotators (one HTTP connection each)
     * @param warmupSeconds untimed seconds first (JIT, connection set-up)
     * @param seconds measured seconds
     * @param tasks pairwise tasks to seed (0 = enough for about 4,000 judgements/s)
     */
    public record Options(int clients, double warmupSeconds, double seconds, int tasks) {
        public Options {
            if (clients < 1 || clients > 1024) throw new IllegalArgumentException("clients must be in 1..1024, got " + clients);
            if (warmupSeconds < 0 || !(seconds > 0)) throw new IllegalArgumentException("seconds must be > 0 and warm-up >= 0");
            if (tasks < 0) throw new IllegalArgumentException("tasks must be >= 0");
        }

        int tasksToSeed() {
            return tasks > 0 ? tasks : (int) Math.min(2_000_000, Math.max(5_000, 4_000 * (seconds + warmupSeconds)));
        }
    }

    /**
     * What was measured.
     *
     * @param judgementsPerSecond acknowledged judgements per second in the measured window
     * @param requestP50Millis median latency of one HTTP request (next or submit)
     * @param requestP99Millis 99th percentile of one HTTP request
     * @param nextP99Millis 99th percentile of "next task" requests
     * @param submitP99Millis 99th percentile of submissions
     * @param measuredJudgements judgements acknowledged in the measured window
     * @param acknowledged judgements acknowledged in total (warm-up included)
     * @param stored judgements found in the store afterwards
     * @param errors failed requests (non-2xx or I/O errors)
     * @param ranOut true if the seeded tasks ran out before the end
     */
    public record Result(double judgementsPerSecond, double requestP50Millis, double requestP99Millis, double nextP99Millis,
                         double submitP99Millis, long measuredJudgements, long acknowledged, long stored, long errors,
                         boolean ranOut) {
        /** Stored equals acknowledged, every stored client id is distinct and there were no errors. */
        public boolean consistent() { return stored == acknowledged && errors == 0; }
    }

    private final FeedbackStore store;
    private final Options options;
    private final PrintStream log;
    private final ObjectMapper mapper = new ObjectMapper();

    public ServeBenchmark(FeedbackStore store, Options options, PrintStream log) {
        this.store = Objects.requireNonNull(store);
        this.options = Objects.requireNonNull(options);
        this.log = Objects.requireNonNull(log);
    }

    /** Seeds a fresh dataset, runs the load and checks the store. */
    public Result run() throws Exception {
        String run = "bench-" + Long.toString(System.currentTimeMillis(), 36);
        long t0 = System.nanoTime();
        Dataset ds = seed(run, options.tasksToSeed());
        List<String> tokens = new ArrayList<>();
        for (int i = 0; i < options.clients(); i++) {
            long id = store.createAnnotator(run + "-annotator-" + i, AnnotatorKind.SIMULATED).id();
            tokens.add(store.issueToken(id, "bench"));
        }
        log.printf(Locale.ROOT, "bench serve: seeded %d pairwise tasks and %d simulated annotators in %.1f s%n",
                options.tasksToSeed(), options.clients(), (System.nanoTime() - t0) / 1e9);

        ServerConfig config = ServerConfig.ephemeral().withRateLimit(RateLimit.unlimited()).withBootstrapAdmin(false);
        try (TandemServer server = TandemServer.start(store, config)) {
            return load(server.uri(), ds, tokens);
        }
    }

    private Dataset seed(String run, int tasks) {
        // Like real data: several sampled responses per prompt, a pairwise task for every pair of them.
        int perPrompt = 4;
        return store.batch(w -> {
            Dataset d = w.ensureDataset(run, "load test (simulated annotators)", DatasetSettings.defaults());
            int made = 0;
            for (int p = 0; made < tasks; p++) {
                Prompt prompt = w.addPrompt(d.id(), "Benchmark story " + p + ": once upon a time, a small robot wanted to learn to paint.", null, "bench");
                List<Response> rs = new ArrayList<>();
                for (int r = 0; r < perPrompt; r++)
                    rs.add(w.addResponse(prompt.id(), "The robot painted picture " + r + " of story " + p + ". It was colourful and it smiled.",
                            new Response.ModelInfo("bench", "", Map.of("seed", String.valueOf(r)))));
                for (int i = 0; i < perPrompt && made < tasks; i++)
                    for (int k = i + 1; k < perPrompt && made < tasks; k++, made++)
                        w.addTask(d.id(), NewTask.of(prompt.id(), JudgementKind.PAIRWISE, List.of(rs.get(i).id(), rs.get(k).id())));
            }
            return d;
        });
    }

    /** The tallies of one driver thread (several simulated annotators). */
    private static final class Tally {
        long[] next = new long[1 << 14];
        long[] submit = new long[1 << 14];
        int nextCount;
        int submitCount;
        long measured;
        long acknowledged;
        long errors;
        final Set<String> clientIds = new HashSet<>();

        void addNext(long nanos) {
            if (nextCount == next.length) next = Arrays.copyOf(next, next.length * 2);
            next[nextCount++] = nanos;
        }

        void addSubmit(long nanos) {
            if (submitCount == submit.length) submit = Arrays.copyOf(submit, submit.length * 2);
            submit[submitCount++] = nanos;
        }
    }

    /** One simulated annotator: fetch a task, judge it at once, again and again, over its own connection. */
    private final class Annotator {
        final LoopbackHttp http;
        final byte[] nextRequest;
        final String token;
        final String prefix;
        int n;
        boolean submitting;     // waiting for the reply to a submission (else to a "next task")
        boolean inWindow;       // the current round started inside the measured window
        boolean done;
        long sentAt;
        long nextDoneAt;
        String clientId;

        Annotator(URI base, Selector selector, String token, int index, String nextPath) {
            this.http = new LoopbackHttp(base, selector, this);
            this.token = token;
            this.prefix = "c" + index + "-";
            this.nextRequest = http.getRequest(nextPath, token);
        }
    }

    private Result load(URI base, Dataset ds, List<String> tokens) throws Exception {
        AtomicBoolean measuring = new AtomicBoolean();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicBoolean ranOut = new AtomicBoolean();
        // A few driver threads, each running its share of the annotators' connections through one selector.
        int drivers = Math.min(2, tokens.size());
        CountDownLatch ready = new CountDownLatch(drivers);
        ExecutorService pool = Executors.newFixedThreadPool(drivers);
        List<Future<Tally>> futures = new ArrayList<>();
        String nextPath = "/api/datasets/" + ds.id() + "/next";
        for (int d = 0; d < drivers; d++) {
            int first = d;
            futures.add(pool.submit(() -> drive(base, tokens, first, drivers, nextPath, ready, measuring, stop, ranOut)));
        }
        ready.await();
        Thread.sleep((long) (options.warmupSeconds() * 1000));
        measuring.set(true);
        long start = System.nanoTime();
        long cpuStart = processCpuNanos();
        Thread.sleep((long) (options.seconds() * 1000));
        measuring.set(false);
        long elapsed = System.nanoTime() - start;
        long cpu = processCpuNanos() - cpuStart;
        stop.set(true);
        List<Tally> tallies = new ArrayList<>();
        for (Future<Tally> f : futures) tallies.add(f.get(60, TimeUnit.SECONDS));
        pool.shutdown();

        long measured = tallies.stream().mapToLong(t -> t.measured).sum();
        long acknowledged = tallies.stream().mapToLong(t -> t.acknowledged).sum();
        long errors = tallies.stream().mapToLong(t -> t.errors).sum();
        long[] nexts = concat(tallies, true);
        long[] submits = concat(tallies, false);
        long[] all = Arrays.copyOf(nexts, nexts.length + submits.length);
        System.arraycopy(submits, 0, all, nexts.length, submits.length);
        Arrays.sort(nexts);
        Arrays.sort(submits);
        Arrays.sort(all);

        List<Judgement> stored = store.judgements(ds.id());
        Set<String> ackedIds = new HashSet<>();
        tallies.forEach(t -> ackedIds.addAll(t.clientIds));
        Set<String> storedIds = new HashSet<>(); // client ids are unique across annotators here ("c<i>-<n>")
        Set<Long> tasksJudged = new HashSet<>();
        long duplicateTasks = 0;
        for (Judgement j : stored) {
            storedIds.add(j.clientId());
            if (!tasksJudged.add(j.taskId())) duplicateTasks++;
        }
        Set<String> lost = ackedIds.stream().filter(id -> !storedIds.contains(id)).limit(5).collect(Collectors.toSet());
        if (!lost.isEmpty()) log.println("bench serve: LOST acknowledged judgements, e.g. " + lost);
        if (storedIds.size() != stored.size()) log.println("bench serve: DUPLICATE client ids in the store");
        if (duplicateTasks > 0) log.println("bench serve: " + duplicateTasks + " tasks judged more than once (overlap is 1)");
        long storedCount = lost.isEmpty() && storedIds.size() == stored.size() && duplicateTasks == 0 ? stored.size() : -stored.size();

        double seconds = elapsed / 1e9;
        Result r = new Result(measured / seconds, pct(all, 50), pct(all, 99), pct(nexts, 99), pct(submits, 99), measured,
                acknowledged, storedCount, errors, ranOut.get());
        log.printf(Locale.ROOT, "bench serve: %d clients, %.1f s measured after %.1f s warm-up: %d judgements (%d requests)%n",
                tokens.size(), seconds, options.warmupSeconds(), measured, all.length);
        log.printf(Locale.ROOT, "bench serve: request latency p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms%n",
                pct(all, 50), pct(all, 90), pct(all, 99), pct(all, 100));
        log.printf(Locale.ROOT, "bench serve: next task p50 %.2f / p99 %.2f ms; submit p50 %.2f / p99 %.2f ms%n",
                pct(nexts, 50), pct(nexts, 99), pct(submits, 50), pct(submits, 99));
        log.printf(Locale.ROOT, "bench serve: process CPU %.2f cores busy, %.2f ms CPU per judgement (clients and server together)%n",
                cpu / (double) elapsed, measured == 0 ? Double.NaN : cpu / 1e6 / measured);
        log.printf(Locale.ROOT, "bench serve: acknowledged %d, stored %d, errors %d%s%n", acknowledged, stored.size(), errors,
                ranOut.get() ? " (ran out of tasks: seed more with --tasks)" : "");
        return r;
    }

    /** Runs annotators first, first + stride, ... until {@code stop}; returns their tallies. */
    private Tally drive(URI base, List<String> tokens, int first, int stride, String nextPath, CountDownLatch ready,
                        AtomicBoolean measuring, AtomicBoolean stop, AtomicBoolean ranOut) throws IOException, InterruptedException {
        Tally t = new Tally();
        try (Selector selector = Selector.open()) {
            List<Annotator> mine = new ArrayList<>();
            for (int i = first; i < tokens.size(); i += stride) mine.add(new Annotator(base, selector, tokens.get(i), i, nextPath));
            ready.countDown();
            ready.await();
            int active = 0;
            for (Annotator a : mine) if (askNext(a, t, measuring)) active++;
            while (active > 0) {
                selector.select(1000);
                for (var it = selector.selectedKeys().iterator(); it.hasNext(); ) {
                    var key = it.next();
                    it.remove();
                    Annotator a = (Annotator) key.attachment();
                    if (a.done) continue;
                    Step step;
                    try {
                        if (key.isValid() && key.isWritable()) a.http.onWritable();
                        LoopbackHttp.Reply r = key.isValid() && key.isReadable() ? a.http.onReadable() : null;
                        if (r == null) continue;
                        step = onReply(a, r, t, measuring, ranOut);
                    } catch (IOException e) {
                        t.errors++;
                        a.http.close();
                        step = Step.IDLE;
                    }
                    if (step == Step.WAITING) continue;
                    if (step == Step.IDLE && !stop.get() && askNext(a, t, measuring)) continue;
                    a.done = true; // out of tasks, stopped, or the server cannot be reached
                    a.http.close();
                    active--;
                }
            }
            for (Annotator a : mine) a.http.close();
        }
        return t;
    }

    /** Sends the annotator's "next task" request; false if it could not be sent. */
    private static boolean askNext(Annotator a, Tally t, AtomicBoolean measuring) {
        a.submitting = false;
        a.inWindow = measuring.get();
        a.sentAt = System.nanoTime();
        for (int attempt = 0; attempt < 3; attempt++) {
            try {
                a.http.send(a.nextRequest);
                return true;
            } catch (IOException e) {
                t.errors++;
                a.http.close();
            }
        }
        return false;
    }

    /** What an annotator does after a reply. */
    private enum Step { WAITING /* a submission is in flight */, IDLE /* ready for the next task */, DONE /* no tasks left */ }

    /** Handles a complete reply: submits a judgement for a leased task, counts an acknowledged one. */
    private Step onReply(Annotator a, LoopbackHttp.Reply r, Tally t, AtomicBoolean measuring, AtomicBoolean ranOut) {
        long now = System.nanoTime();
        if (!a.submitting) {
            if (a.inWindow) t.addNext(now - a.sentAt);
            if (r.status() == 204) {
                ranOut.set(true);
                return Step.DONE;
            }
            if (r.status() != 200) {
                t.errors++;
                return Step.IDLE;
            }
            long assignment = assignmentId(r);
            int n = a.n++;
            a.clientId = a.prefix + n;
            String body = "{\"clientId\":\"" + a.clientId + "\",\"durationMillis\":" + (1000 + n % 5000)
                    + ",\"payload\":{\"kind\":\"pairwise\",\"choice\":\"" + (n % 3 == 0 ? "b" : "a") + "\"}}";
            a.submitting = true;
            a.nextDoneAt = now;
            try {
                a.http.send(a.http.postRequest("/api/assignments/" + assignment + "/judgement", a.token, body));
            } catch (IOException e) {
                t.errors++;
                a.http.close();
                return Step.IDLE;
            }
            return Step.WAITING;
        }
        if (r.status() != 201) {
            t.errors++;
            return Step.IDLE;
        }
        t.acknowledged++;
        t.clientIds.add(a.clientId);
        if (a.inWindow && measuring.get()) {
            t.addSubmit(now - a.nextDoneAt);
            t.measured++;
        }
        return Step.IDLE;
    }

    private static final String ASSIGNMENT_ID = "\"assignment\":{\"id\":";

    /** The assignment id of a "next task" reply: {@code {"assignment":{"id":N,...}...}} (Jackson if laid out otherwise). */
    private long assignmentId(LoopbackHttp.Reply r) {
        byte[] b = r.bodyBytes();
        int i = LoopbackHttp.indexOf(b, 0, b.length, ASSIGNMENT_ID);
        if (i >= 0) {
            long id = 0;
            int at = i + ASSIGNMENT_ID.length(), from = at;
            while (at < b.length && b[at] >= '0' && b[at] <= '9') id = id * 10 + (b[at++] - '0');
            if (at > from) return id;
        }
        try {
            return mapper.readTree(b).get("assignment").get("id").asLong();
        } catch (IOException | NullPointerException e) {
            throw new IllegalStateException("no assignment id in " + r.body(), e);
        }
    }

    private static long processCpuNanos() {
        var os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.OperatingSystemMXBean sun ? sun.getProcessCpuTime() : 0;
    }

    private static long[] concat(List<Tally> tallies, boolean next) {
        int n = tallies.stream().mapToInt(t -> next ? t.nextCount : t.submitCount).sum();
        long[] out = new long[n];
        int at = 0;
        for (Tally t : tallies) {
            long[] src = next ? t.next : t.submit;
            int len = next ? t.nextCount : t.submitCount;
            System.arraycopy(src, 0, out, at, len);
            at += len;
        }
        return out;
    }

    /** The p-th percentile (nearest rank) of sorted nanoseconds, in milliseconds; NaN when empty. */
    static double pct(long[] sorted, double p) {
        if (sorted.length == 0) return Double.NaN;
        int idx = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, idx))] / 1e6;
    }
}
