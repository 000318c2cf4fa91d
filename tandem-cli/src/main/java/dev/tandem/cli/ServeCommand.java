package dev.tandem.cli;

import dev.tandem.feedback.StorageException;
import dev.tandem.feedback.store.FeedbackStore;
import dev.tandem.feedback.store.JdbcFeedbackStore;
import dev.tandem.feedback.store.StoreConfig;
import dev.tandem.server.RateLimit;
import dev.tandem.server.ServerConfig;
import dev.tandem.server.TandemServer;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tandem serve}: the human-feedback server (JSON API, OpenAPI at /openapi.json, annotation and admin pages).
 * On the first start of a store it creates an admin and prints its token once as {@code admin token: …}.
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Run the human-feedback server: labelling web app, admin dashboard and JSON API.",
                "The first start of a store prints the admin token once (`admin token: ...`); keep it."})
public final class ServeCommand implements Callable<Integer> {
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

    @Override
    public Integer call() throws Exception {
        ServerConfig config;
        try {
            config = ServerConfig.defaults().withHost(host).withPort(port).withMaxRequestBytes(maxRequestBytes)
                    .withRateLimit(rate <= 0 ? RateLimit.unlimited() : RateLimit.of(burst, rate))
                    .withSingleWriter(BenchServeCommand.singleWriter(db));
        } catch (IllegalArgumentException e) {
            throw new UserException(e.getMessage());
        }
        FeedbackStore store = openStore(db);
        TandemServer server;
        try {
            server = TandemServer.start(store, config);
        } catch (RuntimeException e) {
            store.close();
            throw new UserException("cannot start the server on " + host + ":" + port + ": " + rootMessage(e), e);
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.err.println("tandem serve: stopping");
            server.close();
            store.close();
            stopped.countDown();
        }, "tandem-serve-shutdown"));
        server.initialAdminToken().ifPresent(t -> {
            System.out.println("admin token: " + t);
            System.err.println("tandem serve: this is the first start of this store; the admin token above is shown only now");
        });
        String shownHost = host.equals("0.0.0.0") ? "127.0.0.1" : host;
        System.out.println("listening: http://" + shownHost + ":" + server.port() + "/");
        System.out.flush();
        if (!host.equals("127.0.0.1") && !host.equals("localhost"))
            System.err.println("tandem serve: tokens travel in clear text over plain HTTP; serve the network through a TLS proxy");
        stopped.await();
        return 0;
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
