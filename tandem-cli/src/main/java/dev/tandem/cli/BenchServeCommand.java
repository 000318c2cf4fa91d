package dev.tandem.cli;

import dev.tandem.feedback.store.FeedbackStore;
import dev.tandem.server.ServeBenchmark;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tandem bench serve}: C simulated annotators fetch and submit pairwise judgements over real HTTP on loopback
 * against an in-process server; prints judgements/s and latency percentiles, checks that the store holds exactly
 * the acknowledged judgements, and ends with {@code judgements/s: N p99_ms: M}.
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Load-test the labelling server over HTTP on loopback (simulated annotators).",
                "Last line: `judgements/s: N p99_ms: M` (p99 of single requests in the measured window)."})
public final class BenchServeCommand implements Callable<Integer> {
    @Option(names = "--db", description = "JDBC URL or SQLite file (default: a temporary SQLite file, deleted afterwards). "
            + "Each run adds its own dataset and simulated annotators.")
    String db;

    @Option(names = "--clients", defaultValue = "64", description = "Concurrent simulated annotators (default: ${DEFAULT-VALUE}).")
    int clients;

    @Option(names = "--seconds", defaultValue = "10", description = "Measured seconds (default: ${DEFAULT-VALUE}).")
    double seconds;

    @Option(names = "--warmup", defaultValue = "10", description = "Unmeasured warm-up seconds first, for the JIT compiler to "
            + "settle: the server is a long-running process (default: ${DEFAULT-VALUE}).")
    double warmup;

    @Option(names = "--tasks", defaultValue = "0", description = "Pairwise tasks to seed (default: enough for 4,000 judgements/s).")
    int tasks;

    @Override
    public Integer call() throws Exception {
        ServeBenchmark.Options options;
        try {
            options = new ServeBenchmark.Options(clients, warmup, seconds, tasks);
        } catch (IllegalArgumentException e) {
            throw new UserException(e.getMessage());
        }
        Path temp = db == null ? Files.createTempDirectory("tandem-bench-serve") : null;
        String where = db != null ? db : temp.resolve("feedback.db").toString();
        try (FeedbackStore store = ServeCommand.openStore(where)) {
            System.err.println("bench serve: store " + (db != null ? db : "temporary SQLite " + where));
            ServeBenchmark.Result r = new ServeBenchmark(store, options, System.err).run();
            if (!r.consistent())
                throw new UserException(String.format(Locale.ROOT, "store check failed: %d acknowledged, %d stored, %d errors",
                        r.acknowledged(), Math.abs(r.stored()), r.errors()));
            System.out.printf(Locale.ROOT, "clients: %d, judgements: %d, request p50_ms: %.2f, next p99_ms: %.2f, submit p99_ms: %.2f%n",
                    clients, r.measuredJudgements(), r.requestP50Millis(), r.nextP99Millis(), r.submitP99Millis());
            System.out.printf(Locale.ROOT, "judgements/s: %.0f p99_ms: %.1f%n", r.judgementsPerSecond(), r.requestP99Millis());
            return 0;
        } finally {
            if (temp != null) deleteTree(temp);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
