package dev.tandem.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tandem.feedback.FeedbackException;
import dev.tandem.feedback.PayloadCodec;
import dev.tandem.feedback.StorageException;
import dev.tandem.feedback.store.FeedbackStore;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.staticfiles.Location;
import io.javalin.json.JavalinJackson;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tandem's human-feedback server: the JSON API under {@code /api}, its OpenAPI description at {@code /openapi.json}
 * and the annotation web app (static files from {@code web/} on the classpath).
 *
 * <pre>{@code
 * try (FeedbackStore store = JdbcFeedbackStore.open(StoreConfig.of(url));
 *      TandemServer server = TandemServer.start(store, ServerConfig.defaults())) { ... }
 * }</pre>
 *
 * The server does not own the store: closing the server leaves the store open. With a {@link ServedLoop} attached
 * ({@code tandem serve --loop}) the admin-only {@code /api/loop/...} routes and the {@code /dashboard.html} page show
 * the live RLHF loop; the server does not own the loop either.
 */
public final class TandemServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TandemServer.class);

    /**
     * Strict policy: scripts, styles, images and requests only from this origin; no inline script or style, no
     * plugins, no framing. Model outputs are inserted as text, so even a policy bypass would not run them.
     */
    static final String CONTENT_SECURITY_POLICY = "default-src 'self'; script-src 'self'; style-src 'self'; "
            + "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
            + "frame-ancestors 'none'; form-action 'self'";

    static final String ECHARTS_PATH = "/vendor/echarts.min.js";

    private final Javalin app;
    private final List<ApiRoute> routes;
    private final List<String> registered;
    private final Optional<String> initialAdminToken;

    private TandemServer(Javalin app, List<ApiRoute> routes, List<String> registered, Optional<String> initialAdminToken) {
        this.app = app;
        this.routes = routes;
        this.registered = registered;
        this.initialAdminToken = initialAdminToken;
    }

    /** Starts a server over {@code store}; returns once it accepts connections. */
    public static TandemServer start(FeedbackStore store, ServerConfig config) {
        return start(store, config, null);
    }

    /**
     * Starts a server over {@code store} with a live loop attached ({@code loop} may be null: the loop routes then
     * answer 404); returns once it accepts connections.
     */
    public static TandemServer start(FeedbackStore store, ServerConfig config, ServedLoop loop) {
        Optional<String> adminToken = config.bootstrapAdmin() ? AdminBootstrap.ensureAdmin(store) : Optional.empty();
        ObjectMapper mapper = new ObjectMapper();
        PayloadCodec codec = new PayloadCodec();
        LabelApi labels = new LabelApi(store, mapper, codec, config);
        Guard guard = new Guard(store, new TokenBucketLimiter(config.rateLimit()));
        AdminApi admin = new AdminApi(store, mapper, codec, labels, config, guard::forget);
        Map<String, String> headers = securityHeaders();
        List<String> registered = Collections.synchronizedList(new ArrayList<>());

        List<ApiRoute> routes = new ArrayList<>(labels.routes());
        routes.addAll(admin.routes());
        routes.addAll(new LoopApi(loop).routes());
        byte[][] openApi = new byte[1][];
        routes.add(ApiRoute.get("/openapi.json").role(Role.PUBLIC).tag("meta").summary("This OpenAPI 3 description")
                .handle((ctx, who) -> ctx.contentType("application/json").result(openApi[0])));
        String echarts = echartsResource();
        routes.add(ApiRoute.get(ECHARTS_PATH).role(Role.PUBLIC).tag("meta").ok(200, "text/javascript")
                .summary("Apache ECharts (from its WebJar), used by the admin and live-loop dashboards' charts")
                .handle((ctx, who) -> serveResource(ctx, echarts, "text/javascript; charset=utf-8")));
        List<ApiRoute> table = List.copyOf(routes);
        try {
            openApi[0] = mapper.writerWithDefaultPrettyPrinter().writeValueAsBytes(OpenApi.document(table, mapper, version()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }

        Javalin app = Javalin.create(c -> {
            c.showJavalinBanner = false;
            c.startupWatcherEnabled = false;
            c.http.maxRequestSize = config.maxRequestBytes();
            c.http.generateEtags = true;
            c.jsonMapper(new JavalinJackson(mapper, false));
            c.staticFiles.add(sf -> {
                sf.hostedPath = "/";
                sf.directory = "/web";
                sf.location = Location.CLASSPATH;
                sf.headers = headers;
            });
            c.events(e -> e.handlerAdded(meta -> {
                if (meta.getHttpMethod().isHttpMethod()) registered.add(meta.getHttpMethod().name() + " " + meta.getPath());
            }));
        });
        app.before(ctx -> headers.forEach(ctx::header));
        app.before("/api/*", ctx -> ctx.header("Cache-Control", "no-store"));
        for (ApiRoute r : table) app.addHttpHandler(r.method(), r.path(), guard.wrap(r));

        app.exception(ApiException.class, (e, ctx) -> error(ctx, e.status(), e.error(), e.field(), e.reason()));
        app.exception(FeedbackException.class, (e, ctx) -> {
            switch (e.reason()) {
                case NOT_FOUND -> error(ctx, 404, "not_found", null, e.getMessage());
                case CONFLICT -> error(ctx, 409, "conflict", null, e.getMessage());
                case INVALID -> error(ctx, 400, "validation", null, e.getMessage());
                case FORBIDDEN -> error(ctx, 403, "forbidden", null, e.getMessage());
            }
        });
        app.exception(IllegalArgumentException.class, (e, ctx) -> error(ctx, 400, "validation", null, e.getMessage()));
        app.exception(StorageException.class, (e, ctx) -> {
            log.error("storage failure on {} {}", ctx.method(), ctx.path(), e);
            error(ctx, 500, "storage", null, "the database failed; nothing was stored by this request");
        });
        app.exception(Exception.class, (e, ctx) -> {
            log.error("unexpected failure on {} {}", ctx.method(), ctx.path(), e);
            error(ctx, 500, "internal", null, "internal error");
        });
        app.error(404, ctx -> {
            if (ctx.attribute("tandem.error") == null && ctx.path().startsWith("/api/"))
                error(ctx, 404, "not_found", null, "no route " + ctx.method() + " " + ctx.path());
        });
        app.error(405, ctx -> {
            if (ctx.attribute("tandem.error") == null && ctx.path().startsWith("/api/"))
                error(ctx, 405, "method_not_allowed", null, "method " + ctx.method() + " is not allowed on " + ctx.path());
        });

        app.start(config.host(), config.port());
        log.info("tandem server listening on http://{}:{}/", config.host(), app.port());
        return new TandemServer(app, table, registered, adminToken);
    }

    /** The port the server listens on (the ephemeral one when started with port 0). */
    public int port() { return app.port(); }

    /** Base URI on loopback, e.g. {@code http://127.0.0.1:8080}. */
    public URI uri() { return URI.create("http://127.0.0.1:" + port()); }

    /**
     * The token of the admin created at this start, when the store had no admin before. Present only on the first
     * start of a store: print it once, it cannot be recovered (only its hash is stored).
     */
    public Optional<String> initialAdminToken() { return initialAdminToken; }

    /** The route table (what {@code /openapi.json} describes). */
    List<ApiRoute> routes() { return routes; }

    /** Every HTTP handler registered with Javalin, as {@code METHOD path} (for the OpenAPI completeness test). */
    List<String> registeredHandlers() {
        synchronized (registered) {
            return List.copyOf(registered);
        }
    }

    /** Stops accepting requests and waits for running ones; the store stays open. */
    @Override
    public void close() {
        app.stop();
    }

    private static Map<String, String> securityHeaders() {
        Map<String, String> h = new LinkedHashMap<>();
        h.put("Content-Security-Policy", CONTENT_SECURITY_POLICY);
        h.put("X-Content-Type-Options", "nosniff");
        h.put("X-Frame-Options", "DENY");
        h.put("Referrer-Policy", "no-referrer");
        return Map.copyOf(h);
    }

    private static void error(Context ctx, int status, String error, String field, String reason) {
        ctx.attribute("tandem.error", Boolean.TRUE);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", error);
        body.put("field", field);
        body.put("reason", reason);
        ctx.status(status).json(body);
    }

    private static String echartsResource() {
        Properties p = new Properties();
        try (InputStream in = TandemServer.class.getResourceAsStream("/META-INF/maven/org.webjars.npm/echarts/pom.properties")) {
            if (in == null) throw new IllegalStateException("the ECharts WebJar is missing from the classpath");
            p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return "/META-INF/resources/webjars/echarts/" + p.getProperty("version") + "/dist/echarts.min.js";
    }

    private static void serveResource(Context ctx, String resource, String contentType) throws IOException {
        try (InputStream in = TandemServer.class.getResourceAsStream(resource)) {
            if (in == null) throw ApiException.notFound(resource + " is missing");
            ctx.contentType(contentType).header("Cache-Control", "public, max-age=86400").result(in.readAllBytes());
        }
    }

    private static String version() {
        String v = TandemServer.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }
}
