package dev.tandem.cli;

import dev.tandem.feedback.StorageException;
import dev.tandem.feedback.store.FeedbackStore;
import dev.tandem.feedback.store.JdbcFeedbackStore;
import dev.tandem.feedback.store.StoreConfig;
import dev.tandem.loop.DemoConfig;
import dev.tandem.loop.DemoPrompts;
import dev.tandem.loop.LiveLoop;
import dev.tandem.server.RateLimit;
import dev.tandem.server.ServedLoop;
import dev.tandem.server.ServerConfig;
import dev.tandem.server.TandemServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code tandem serve}: the human-feedback server (JSON API, OpenAPI at /openapi.json, annotation and admin pages).
 * On the first start of a store it creates an admin and prints its token once as {@code admin token: …}.
 *
 * <p>With {@code --loop DIR} the live RLHF loop runs in the background ({@link LiveLoop}): the policy fills the
 * queue, every K judgements the reward model retrains, every M reward models a policy round runs, and new tasks come
 * from the new version; the admins' {@code /dashboard.html} shows it. Training runs on its own thread, so labelling
 * is never blocked; a restart with the same DIR and store resumes.
 */
@Command(name = "serve", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Run the human-feedback server: labelling web app, admin dashboard and JSON API.",
                "The first start of a store prints the admin token once (`admin token: ...`); keep it.",
                "With --loop DIR, people label pairs written by the current policy while the reward model and the "
                        + "policy learn from them in the background (live RLHF); admins watch it at /dashboard.html."})
public final class ServeCommand implements Callable<Integer> {
    /** Options that only mean something with {@code --loop}. */
    private static final List<String> LOOP_OPTIONS = List.of("--loop-dataset", "--prompts", "--model", "--algo", "--rm",
            "--retrain-every", "--optimise-every", "--open-tasks", "--refill", "--steps", "--batch", "--max-new-tokens",
            "--lr", "--seed", "--loop-period");

    @Spec
    CommandSpec spec;

    @Option(names = "--port", defaultValue = "8080", description = "TCP port (default: ${DEFAULT-VALUE}; 0 picks a free one).")
    int port;

    @Option(names = "--host", defaultValue = "127.0.0.1",
            description = "Address to bind (default: ${DEFAULT-VALUE}; 0.0.0.0 serves the network: put TLS in front).")
    String host;

    @Option(names = "--db", defaultValue = StoreConfig.DEFAULT_URL,
            description = "JDBC URL (jdbc:sqlite:FILE or jdbc:postgresql://HOST/DB?currentSchema=S) or a SQLite file (default: ${DEFAULT-VALUE}).")
    String db;

    @Option(names = "--rate-limit", defaultValue = "20", description = "Requests per second per token, sustained; 0 turns limiting off (default: ${DEFAULT-VALUE}).")
    double rate;

    @Option(names = "--burst", defaultValue = "60", description = "Requests a token may send at once (default: ${DEFAULT-VALUE}).")
    double burst;

    @Option(names = "--max-request-bytes", defaultValue = "1048576", description = "Largest request body; larger get 413 (default: ${DEFAULT-VALUE}).")
    long maxRequestBytes;

    @Option(names = "--loop", paramLabel = "DIR",
            description = "Attach the live RLHF loop whose state, model versions and history live in DIR (created if missing; a restart resumes).")
    Path loopDir;

    @Option(names = "--loop-dataset", paramLabel = "NAME", defaultValue = "live-loop",
            description = "Dataset the loop fills and people label (default: ${DEFAULT-VALUE}).")
    String loopDataset;

    @Option(names = "--prompts", paramLabel = "FILE", description = "Prompts for new tasks, one per line (default: the built-in story openings of tandem demo).")
    Path promptsFile;

    @Option(names = "--model", paramLabel = "NAME|PATH", defaultValue = "stories260K",
            description = "Starting policy and KL reference (default: ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--algo", paramLabel = "ALGO", defaultValue = "ppo", description = "Policy rounds: ppo, dpo, grpo or rloo (default: ${DEFAULT-VALUE}).")
    String algo;

    @Option(names = "--rm", paramLabel = "KIND", defaultValue = "linear", description = "Reward model: linear (fast) or transformer (default: ${DEFAULT-VALUE}).")
    String rm;

    @Option(names = "--retrain-every", paramLabel = "K", defaultValue = "20",
            description = "New judgements between reward-model versions (default: ${DEFAULT-VALUE}).")
    int retrainEvery;

    @Option(names = "--optimise-every", paramLabel = "M", defaultValue = "1",
            description = "Reward-model versions between policy rounds (default: ${DEFAULT-VALUE}).")
    int optimiseEvery;

    @Option(names = "--open-tasks", paramLabel = "N", defaultValue = "16", description = "Refill when fewer tasks than this are open (default: ${DEFAULT-VALUE}).")
    int openTasks;

    @Option(names = "--refill", paramLabel = "N", defaultValue = "24", description = "Pairs generated per refill (default: ${DEFAULT-VALUE}).")
    int refill;

    @Option(names = "--steps", paramLabel = "N", defaultValue = "8", description = "Optimiser steps per policy round (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--batch", paramLabel = "N", defaultValue = "64", description = "Responses per policy step, a multiple of 4 (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--max-new-tokens", paramLabel = "N", defaultValue = "48", description = "Response length limit (default: ${DEFAULT-VALUE}).")
    int maxNewTokens;

    @Option(names = "--lr", paramLabel = "LR", defaultValue = "5e-4", description = "Policy learning rate (default: ${DEFAULT-VALUE}).")
    float lr;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "1", description = "Seed for sampling and training (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--loop-period", paramLabel = "SECONDS", defaultValue = "1",
            description = "How often the loop checks the queue and whether training is due (default: ${DEFAULT-VALUE}).")
    double loopPeriod;

    @Override
    public Integer call() throws Exception {
        if (loopDir == null) {
            for (String o : LOOP_OPTIONS) {
                if (spec.commandLine().getParseResult().hasMatchedOption(o)) throw new UserException(o + " needs --loop DIR");
            }
        }
        LiveLoop.Config loopConfig = loopDir == null ? null : loopConfig();
        ServerConfig config;
        try {
            config = ServerConfig.defaults().withHost(host).withPort(port).withMaxRequestBytes(maxRequestBytes)
                    .withRateLimit(rate <= 0 ? RateLimit.unlimited() : RateLimit.of(burst, rate));
        } catch (IllegalArgumentException e) {
            throw new UserException(e.getMessage());
        }
        FeedbackStore store = openStore(db);
        LiveLoop loop = null;
        if (loopConfig != null) {
            try {
                loop = LiveLoop.open(store, loopConfig);
            } catch (IOException | RuntimeException e) {
                store.close();
                throw new UserException("cannot open the live loop in " + loopDir + ": " + rootMessage(e), e);
            }
        }
        TandemServer server;
        try {
            server = TandemServer.start(store, config, loop == null ? null : ServedLoop.of(loop::status, loop::history));
        } catch (RuntimeException e) {
            if (loop != null) loop.close();
            store.close();
            throw new UserException("cannot start the server on " + host + ":" + port + ": " + rootMessage(e), e);
        }
        if (loop != null) loop.start(Duration.ofMillis(Math.round(loopPeriod * 1000)));
        LiveLoop running = loop;
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.err.println("tandem serve: stopping");
            server.close();
            if (running != null && running.status().training()) {
                // Closing the models under a running round could crash natively; the round is abandoned with the
                // JVM (its versions are written atomically, so the next start redoes it from the last complete one).
                System.err.println("tandem serve: a training round was running; it is abandoned and redone on the next start");
            } else {
                try {
                    if (running != null) running.close();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                store.close();
            }
            stopped.countDown();
        }, "tandem-serve-shutdown"));
        server.initialAdminToken().ifPresent(t -> {
            System.out.println("admin token: " + t);
            System.err.println("tandem serve: this is the first start of this store; the admin token above is shown only now");
        });
        String shownHost = host.equals("0.0.0.0") ? "127.0.0.1" : host;
        System.out.println("listening: http://" + shownHost + ":" + server.port() + "/");
        if (loop != null) {
            LiveLoop.Status st = loop.status();
            System.out.println("live loop: " + loopDir + ", dataset " + st.dataset() + " (id " + st.datasetId() + "), policy "
                    + st.policyVersion() + ", reward model v" + st.rewardModelVersion() + "; dashboard: http://" + shownHost
                    + ":" + server.port() + "/dashboard.html");
        }
        System.out.flush();
        if (!host.equals("127.0.0.1") && !host.equals("localhost"))
            System.err.println("tandem serve: tokens travel in clear text over plain HTTP; serve the network through a TLS proxy");
        stopped.await();
        return 0;
    }

    private LiveLoop.Config loopConfig() {
        try {
            if (!(loopPeriod > 0 && loopPeriod <= 3600)) throw new IllegalArgumentException("--loop-period must be in (0, 3600] seconds");
            List<String> prompts = promptsFile == null ? DemoPrompts.standard().train() : readPrompts(promptsFile);
            DemoConfig training = DemoConfig.builder(loopDir).model(model).seed(seed).steps(steps)
                    .algorithm(DemoConfig.Algorithm.parse(algo)).rewardModel(DemoConfig.RewardKind.parse(rm))
                    .maxNewTokens(maxNewTokens).batchSize(batch).learningRate(lr)
                    .ppoMinibatches(batch % 2 == 0 ? 2 : 1).build();
            return new LiveLoop.Config(loopDir, loopDataset, prompts, openTasks, refill, retrainEvery, optimiseEvery, training);
        } catch (IllegalArgumentException e) {
            throw new UserException(e.getMessage());
        }
    }

    private static List<String> readPrompts(Path file) {
        try {
            List<String> prompts = Files.readAllLines(file, StandardCharsets.UTF_8).stream().map(String::strip)
                    .filter(l -> !l.isEmpty()).toList();
            if (prompts.isEmpty()) throw new UserException("--prompts " + file + " has no prompt (one per line)");
            return prompts;
        } catch (java.nio.file.NoSuchFileException e) {
            throw new UserException("--prompts " + file + ": no such file", e);
        } catch (java.nio.charset.MalformedInputException e) {
            throw new UserException("--prompts " + file + " is not UTF-8 text", e);
        } catch (IOException e) {
            throw new UserException("cannot read --prompts " + file + ": " + e, e);
        }
    }

    static FeedbackStore openStore(String db) {
        String url = db.startsWith("jdbc:") ? db : "jdbc:sqlite:" + java.nio.file.Path.of(db).toAbsolutePath();
        try {
            return JdbcFeedbackStore.open(StoreConfig.of(url).withMaxPoolSize(8));
        } catch (IllegalArgumentException | StorageException e) {
            throw new UserException("cannot open feedback store " + db + ": " + e.getMessage(), e);
        }
    }

    private static String rootMessage(Throwable e) {
        while (e.getCause() != null && e.getCause() != e) e = e.getCause();
        return e.getMessage();
    }
}
