package dev.tandem.feedback.store;

import com.fasterxml.jackson.core.type.TypeReference;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.tandem.feedback.Annotator;
import dev.tandem.feedback.AnnotatorKind;
import dev.tandem.feedback.AssignedTask;
import dev.tandem.feedback.Assignment;
import dev.tandem.feedback.Dataset;
import dev.tandem.feedback.DatasetSettings;
import dev.tandem.feedback.FeedbackException;
import dev.tandem.feedback.Judgement;
import dev.tandem.feedback.JudgementKind;
import dev.tandem.feedback.JudgementPayload;
import dev.tandem.feedback.NewTask;
import dev.tandem.feedback.PayloadCodec;
import dev.tandem.feedback.Prompt;
import dev.tandem.feedback.Response;
import dev.tandem.feedback.Shown;
import dev.tandem.feedback.StorageException;
import dev.tandem.feedback.SubmitResult;
import dev.tandem.feedback.Submission;
import dev.tandem.feedback.Task;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import java.util.random.RandomGenerator;
import org.flywaydb.core.Flyway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * JDBC implementation of {@link FeedbackStore} for SQLite and PostgreSQL with one set of SQL statements
 * (dialect differences live in {@link Dialect}).
 *
 * <p>Durability: each public write runs in its own transaction and commits before returning. SQLite runs in WAL mode
 * with {@code synchronous=FULL}: every commit fsyncs the WAL, so an acknowledged judgement survives not only
 * {@code kill -9} (which NORMAL would already survive in WAL mode, since the WAL write reaches the OS before commit
 * returns) but also a power cut or OS crash. Judgements arrive at human pace and imports are one transaction, so the
 * extra fsync per commit costs nothing noticeable.
 *
 * <p>Concurrency: on SQLite, writers are serialised by one in-process fair lock (SQLite allows a single writer anyway),
 * transactions begin IMMEDIATE and {@code busy_timeout} absorbs writers from other processes (e.g. a CLI import while
 * the server runs); readers use the pool concurrently (WAL). On PostgreSQL, writes run concurrently at READ COMMITTED;
 * correctness of {@code nextTask} rests on a conditional {@code UPDATE tasks SET slots_taken = slots_taken + 1 WHERE
 * id = ? AND slots_taken < overlap} (re-checked by PostgreSQL after a row lock wait), a per-annotator row lock, and the
 * unique constraints; a transaction that loses a race (unique violation, deadlock) is retried.
 */
public final class JdbcFeedbackStore implements FeedbackStore {
    private static final Logger log = LoggerFactory.getLogger(JdbcFeedbackStore.class);
    private static final int MAX_ATTEMPTS = 8;

    private final HikariDataSource dataSource;
    private final Dialect dialect;
    private final Clock clock;
    private final RandomGenerator random;
    private final SecureRandom tokenRandom = new SecureRandom();
    private final ReentrantLock writeLock; // SQLite only
    private final PayloadCodec codec = new PayloadCodec();

    private JdbcFeedbackStore(HikariDataSource dataSource, Dialect dialect, StoreConfig config) {
        this.dataSource = dataSource;
        this.dialect = dialect;
        this.clock = config.clock();
        this.random = config.random();
        this.writeLock = dialect == Dialect.SQLITE ? new ReentrantLock(true) : null;
    }

    /** Opens (and migrates) the store at {@code config.jdbcUrl()}. */
    public static FeedbackStore open(StoreConfig config) {
        Dialect dialect = Dialect.of(config.jdbcUrl());
        HikariConfig hc = new HikariConfig();
        hc.setJdbcUrl(config.jdbcUrl());
        hc.setPoolName("tandem-feedback");
        hc.setMaximumPoolSize(config.maxPoolSize());
        hc.setMinimumIdle(1);
        String schema = null;
        if (dialect == Dialect.SQLITE) {
            createParentDirectories(config.jdbcUrl());
            hc.setDriverClassName("org.sqlite.JDBC");
            hc.addDataSourceProperty("journal_mode", "WAL");
            hc.addDataSourceProperty("synchronous", "FULL");
            hc.addDataSourceProperty("busy_timeout", "30000");
            hc.addDataSourceProperty("foreign_keys", "true");
            hc.addDataSourceProperty("transaction_mode", "IMMEDIATE");
        } else {
            hc.setDriverClassName("org.postgresql.Driver");
            schema = queryParameter(config.jdbcUrl(), "currentSchema");
        }
        HikariDataSource ds = new HikariDataSource(hc);
        try {
            var flyway = Flyway.configure()
                    .dataSource(ds)
                    .locations("classpath:db/migration")
                    .placeholders(dialect.placeholders())
                    .failOnMissingLocations(true);
            if (schema != null) flyway.schemas(schema).defaultSchema(schema);
            var result = flyway.load().migrate();
            log.debug("feedback store {}: {} migration(s) applied", config.jdbcUrl(), result.migrationsExecuted);
        } catch (RuntimeException e) {
            ds.close();
            throw new StorageException("cannot migrate feedback store at " + config.jdbcUrl() + ": " + e.getMessage(), e);
        }
        return new JdbcFeedbackStore(ds, dialect, config);
    }

    /** Opens the store at this JDBC URL with default settings. */
    public static FeedbackStore open(String jdbcUrl) {
        return open(StoreConfig.of(jdbcUrl));
    }

    private static void createParentDirectories(String url) {
        String path = url.substring("jdbc:sqlite:".length());
        int q = path.indexOf('?');
        if (q >= 0) path = path.substring(0, q);
        if (path.startsWith("file:")) path = path.substring(5);
        if (path.isEmpty() || path.equals(":memory:") || path.contains("mode=memory")) return;
        Path parent = Path.of(path).toAbsolutePath().getParent();
        try {
            if (parent != null) Files.createDirectories(parent);
        } catch (IOException e) {
            throw new StorageException("cannot create directory " + parent + ": " + e.getMessage(), e);
        }
    }

    static String queryParameter(String jdbcUrl, String name) {
        URI uri = URI.create(jdbcUrl.substring("jdbc:".length()));
        String q = uri.getRawQuery();
        if (q == null) return null;
        for (String kv : q.split("&")) {
            int eq = kv.indexOf('=');
            if (eq > 0 && kv.substring(0, eq).equals(name))
                return java.net.URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8);
        }
        return null;
    }

    @Override
    public void close() {
        dataSource.close();
    }

    /** A pooled connection, for tests that inspect connection settings. */
    Connection connectionForTests() throws SQLException {
        return dataSource.getConnection();
    }

    // ------------------------------------------------------------------ transactions

    @FunctionalInterface
    interface SqlWork<T> {
        T run(Connection c) throws SQLException;
    }

    /** Wraps an SQLException thrown inside a BatchWriter call so it can cross a java.util.function boundary. */
    private static final class SqlFailure extends RuntimeException {
        SqlFailure(SQLException cause) { super(cause); }
        SQLException sql() { return (SQLException) getCause(); }
    }

    private <T> T read(SqlWork<T> work) {
        try (Connection c = dataSource.getConnection()) {
            return work.run(c);
        } catch (SQLException e) {
            throw new StorageException("database read failed: " + e.getMessage(), e);
        } catch (SqlFailure e) {
            throw new StorageException("database read failed: " + e.sql().getMessage(), e.sql());
        }
    }

    /**
     * Runs {@code work} in one write transaction and commits. {@code retryable} work is run again when it loses a
     * race; work with outside side effects (a batch reading a stream) is not.
     */
    private <T> T write(boolean retryable, SqlWork<T> work) {
        for (int attempt = 1; ; attempt++) {
            if (writeLock != null) writeLock.lock();
            try (Connection c = dataSource.getConnection()) {
                c.setAutoCommit(false);
                try {
                    T result = work.run(c);
                    c.commit();
                    return result;
                } catch (SQLException | RuntimeException e) {
                    rollbackQuietly(c, e);
                    SQLException sql = e instanceof SQLException s ? s : e instanceof SqlFailure f ? f.sql() : null;
                    if (sql == null) throw e;
                    if (retryable && attempt < MAX_ATTEMPTS && dialect.isRetryable(sql)) {
                        log.debug("retrying write after {} (code {}, attempt {})", sql.getMessage(), sql.getErrorCode(), attempt);
                        continue;
                    }
                    throw sql;
                } finally {
                    c.setAutoCommit(true);
                }
            } catch (SQLException e) {
                throw new StorageException("database write failed: " + e.getMessage(), e);
            } finally {
                if (writeLock != null) writeLock.unlock();
            }
        }
    }

    private static void rollbackQuietly(Connection c, Exception cause) {
        try {
            c.rollback();
        } catch (SQLException r) {
            cause.addSuppressed(r);
        }
    }

    // ------------------------------------------------------------------ small JDBC helpers

    private static PreparedStatement prepare(Connection c, String sql, Object... args) throws SQLException {
        PreparedStatement ps = c.prepareStatement(sql);
        for (int i = 0; i < args.length; i++) {
            Object a = args[i];
            if (a == null) ps.setNull(i + 1, Types.NULL);
            else if (a instanceof Long l) ps.setLong(i + 1, l);
            else if (a instanceof Integer n) ps.setInt(i + 1, n);
            else if (a instanceof Double d) ps.setDouble(i + 1, d);
            else if (a instanceof Boolean b) ps.setInt(i + 1, b ? 1 : 0);
            else ps.setString(i + 1, a.toString());
        }
        return ps;
    }

    private static int update(Connection c, String sql, Object... args) throws SQLException {
        try (PreparedStatement ps = prepare(c, sql, args)) {
            return ps.executeUpdate();
        }
    }

    /** INSERT ... RETURNING id (SQLite >= 3.35 and PostgreSQL). */
    private static long insert(Connection c, String sql, Object... args) throws SQLException {
        try (PreparedStatement ps = prepare(c, sql + " RETURNING id", args); ResultSet rs = ps.executeQuery()) {
            if (!rs.next()) throw new SQLException("INSERT returned no id: " + sql);
            return rs.getLong(1);
        }
    }

    @FunctionalInterface
    interface RowMapper<T> {
        T map(ResultSet rs) throws SQLException;
    }

    private static <T> List<T> list(Connection c, RowMapper<T> mapper, String sql, Object... args) throws SQLException {
        try (PreparedStatement ps = prepare(c, sql, args); ResultSet rs = ps.executeQuery()) {
            List<T> out = new ArrayList<>();
            while (rs.next()) out.add(mapper.map(rs));
            return out;
        }
    }

    private static <T> Optional<T> one(Connection c, RowMapper<T> mapper, String sql, Object... args) throws SQLException {
        List<T> l = list(c, mapper, sql, args);
        return l.isEmpty() ? Optional.empty() : Optional.of(l.get(0));
    }

    private static long count(Connection c, String sql, Object... args) throws SQLException {
        try (PreparedStatement ps = prepare(c, sql, args); ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private long now() { return clock.millis(); }

    static String sha256Hex(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String encodeIds(List<Long> ids) {
        StringBuilder b = new StringBuilder();
        for (Long id : ids) {
            if (b.length() > 0) b.append(',');
            b.append(id);
        }
        return b.toString();
    }

    static List<Long> decodeIds(String s) {
        if (s == null || s.isEmpty()) return List.of();
        return Arrays.stream(s.split(",")).map(Long::valueOf).toList();
    }

    // ------------------------------------------------------------------ row mappers

    private static final String DATASET_COLS = "id, name, description, overlap, gold_rate, lease_ms, rating_flags, created_at";
    private static final String ANNOTATOR_COLS = "id, name, kind, created_at";
    private static final String PROMPT_COLS = "id, dataset_id, text, group_key, source, created_at";
    private static final String RESPONSE_COLS = "id, prompt_id, text, model_id, model_version, generation_settings, created_at";
    private static final String TASK_COLS =
            "id, dataset_id, prompt_id, kind, response_ids, priority, gold, gold_answer, judgement_count, created_at";
    private static final String ASSIGNMENT_COLS = "id, task_id, annotator_id, dataset_id, shown_order, state, leased_at, expires_at";
    private static final String JUDGEMENT_COLS = "id, dataset_id, task_id, annotator_id, assignment_id, client_id, payload, shown, "
            + "created_at, duration_ms, confidence, gold_correct";

    private Dataset mapDataset(ResultSet rs) throws SQLException {
        List<String> flags = codec.mapper().convertValue(codec.read(rs.getString("rating_flags")), new TypeReference<List<String>>() {});
        DatasetSettings settings = new DatasetSettings(rs.getInt("overlap"), rs.getDouble("gold_rate"),
                Duration.ofMillis(rs.getLong("lease_ms")), flags);
        return new Dataset(rs.getLong("id"), rs.getString("name"), rs.getString("description"), settings,
                Instant.ofEpochMilli(rs.getLong("created_at")));
    }

    private static Annotator mapAnnotator(ResultSet rs) throws SQLException {
        return new Annotator(rs.getLong("id"), rs.getString("name"), AnnotatorKind.fromWire(rs.getString("kind")),
                Instant.ofEpochMilli(rs.getLong("created_at")));
    }

    private static Prompt mapPrompt(ResultSet rs) throws SQLException {
        return new Prompt(rs.getLong("id"), rs.getLong("dataset_id"), rs.getString("text"), rs.getString("group_key"),
                rs.getString("source"), Instant.ofEpochMilli(rs.getLong("created_at")));
    }

    private Response mapResponse(ResultSet rs) throws SQLException {
        Map<String, String> settings = codec.mapper().convertValue(codec.read(rs.getString("generation_settings")),
                new TypeReference<Map<String, String>>() {});
        return new Response(rs.getLong("id"), rs.getLong("prompt_id"), rs.getString("text"),
                new Response.ModelInfo(rs.getString("model_id"), rs.getString("model_version"), settings),
                Instant.ofEpochMilli(rs.getLong("created_at")));
    }

    private Task mapTask(ResultSet rs) throws SQLException {
        String gold = rs.getString("gold_answer");
        return new Task(rs.getLong("id"), rs.getLong("dataset_id"), rs.getLong("prompt_id"), JudgementKind.fromWire(rs.getString("kind")),
                decodeIds(rs.getString("response_ids")), rs.getInt("priority"), rs.getInt("gold") != 0,
                gold == null ? null : codec.fromJson(gold), rs.getInt("judgement_count"), Instant.ofEpochMilli(rs.getLong("created_at")));
    }

    private static Assignment mapAssignment(ResultSet rs) throws SQLException {
        return new Assignment(rs.getLong("id"), rs.getLong("task_id"), rs.getLong("annotator_id"), rs.getLong("dataset_id"),
                decodeIds(rs.getString("shown_order")), Assignment.State.fromWire(rs.getString("state")),
                Instant.ofEpochMilli(rs.getLong("leased_at")), Instant.ofEpochMilli(rs.getLong("expires_at")));
    }

    private Judgement mapJudgement(ResultSet rs) throws SQLException {
        long assignment = rs.getLong("assignment_id");
        Long assignmentId = rs.wasNull() ? null : assignment;
        double conf = rs.getDouble("confidence");
        Double confidence = rs.wasNull() ? null : conf;
        int gc = rs.getInt("gold_correct");
        Boolean goldCorrect = rs.wasNull() ? null : gc != 0;
        return new Judgement(rs.getLong("id"), rs.getLong("dataset_id"), rs.getLong("task_id"), rs.getLong("annotator_id"),
                assignmentId, rs.getString("client_id"), codec.fromJson(rs.getString("payload")), codec.shownFromJson(rs.getString("shown")),
                Instant.ofEpochMilli(rs.getLong("created_at")), rs.getLong("duration_ms"), confidence, goldCorrect);
    }

    // ------------------------------------------------------------------ datasets

    @Override
    public Dataset createDataset(String name, String description, DatasetSettings settings) {
        return write(false, c -> insertDataset(c, name, description, settings));
    }

    private Dataset insertDataset(Connection c, String name, String description, DatasetSettings settings) throws SQLException {
        Dataset probe = new Dataset(0, name, description, settings, Instant.ofEpochMilli(now())); // validates
        if (one(c, this::mapDataset, "SELECT " + DATASET_COLS + " FROM datasets WHERE name = ?", name).isPresent())
            throw FeedbackException.conflict("a dataset named '" + name + "' already exists");
        long id = insert(c, "INSERT INTO datasets (name, description, overlap, gold_rate, lease_ms, rating_flags, created_at) "
                        + "VALUES (?, ?, ?, ?, ?, ?, ?)", name, probe.description(), settings.overlap(), settings.goldRate(),
                settings.leaseTimeout().toMillis(), codec.write(settings.ratingFlags()), probe.createdAt().toEpochMilli());
        return new Dataset(id, name, probe.description(), settings, probe.createdAt());
    }

    @Override
    public Dataset ensureDataset(String name, String description, DatasetSettings settings) {
        return write(true, c -> ensureDataset(c, name, description, settings));
    }

    private Dataset ensureDataset(Connection c, String name, String description, DatasetSettings settings) throws SQLException {
        Optional<Dataset> existing = one(c, this::mapDataset, "SELECT " + DATASET_COLS + " FROM datasets WHERE name = ?", name);
        return existing.isPresent() ? existing.get() : insertDataset(c, name, description, settings);
    }

    @Override
    public Optional<Dataset> dataset(long id) {
        return read(c -> one(c, this::mapDataset, "SELECT " + DATASET_COLS + " FROM datasets WHERE id = ?", id));
    }

    @Override
    public Optional<Dataset> datasetByName(String name) {
        return read(c -> one(c, this::mapDataset, "SELECT " + DATASET_COLS + " FROM datasets WHERE name = ?", name));
    }

    @Override
    public List<Dataset> datasets() {
        return read(c -> list(c, this::mapDataset, "SELECT " + DATASET_COLS + " FROM datasets ORDER BY id"));
    }

    @Override
    public Dataset updateSettings(long datasetId, DatasetSettings s) {
        return write(true, c -> {
            int n = update(c, "UPDATE datasets SET overlap = ?, gold_rate = ?, lease_ms = ?, rating_flags = ? WHERE id = ?",
                    s.overlap(), s.goldRate(), s.leaseTimeout().toMillis(), codec.write(s.ratingFlags()), datasetId);
            if (n == 0) throw FeedbackException.notFound("dataset " + datasetId);
            return requireDataset(c, datasetId);
        });
    }

    private Dataset requireDataset(Connection c, long id) throws SQLException {
        return one(c, this::mapDataset, "SELECT " + DATASET_COLS + " FROM datasets WHERE id = ?", id)
                .orElseThrow(() -> FeedbackException.notFound("dataset " + id));
    }

    // ------------------------------------------------------------------ annotators and tokens

    @Override
    public Annotator createAnnotator(String name, AnnotatorKind kind) {
        return write(false, c -> insertAnnotator(c, name, kind));
    }

    private Annotator insertAnnotator(Connection c, String name, AnnotatorKind kind) throws SQLException {
        Annotator probe = new Annotator(0, name, kind, Instant.ofEpochMilli(now()));
        if (one(c, JdbcFeedbackStore::mapAnnotator, "SELECT " + ANNOTATOR_COLS + " FROM annotators WHERE name = ?", name).isPresent())
            throw FeedbackException.conflict("an annotator named '" + name + "' already exists");
        long id = insert(c, "INSERT INTO annotators (name, kind, created_at) VALUES (?, ?, ?)", name, kind.wireName(),
                probe.createdAt().toEpochMilli());
        return new Annotator(id, name, kind, probe.createdAt());
    }

    @Override
    public Annotator ensureAnnotator(String name, AnnotatorKind kind) {
        return write(true, c -> ensureAnnotator(c, name, kind));
    }

    private Annotator ensureAnnotator(Connection c, String name, AnnotatorKind kind) throws SQLException {
        Optional<Annotator> a = one(c, JdbcFeedbackStore::mapAnnotator, "SELECT " + ANNOTATOR_COLS + " FROM annotators WHERE name = ?", name);
        return a.isPresent() ? a.get() : insertAnnotator(c, name, kind);
    }

    @Override
    public Optional<Annotator> annotator(long id) {
        return read(c -> one(c, JdbcFeedbackStore::mapAnnotator, "SELECT " + ANNOTATOR_COLS + " FROM annotators WHERE id = ?", id));
    }

    @Override
    public Optional<Annotator> annotatorByName(String name) {
        return read(c -> one(c, JdbcFeedbackStore::mapAnnotator, "SELECT " + ANNOTATOR_COLS + " FROM annotators WHERE name = ?", name));
    }

    @Override
    public List<Annotator> annotators() {
        return read(c -> list(c, JdbcFeedbackStore::mapAnnotator, "SELECT " + ANNOTATOR_COLS + " FROM annotators ORDER BY id"));
    }

    private Annotator requireAnnotator(Connection c, long id) throws SQLException {
        return one(c, JdbcFeedbackStore::mapAnnotator, "SELECT " + ANNOTATOR_COLS + " FROM annotators WHERE id = ?", id)
                .orElseThrow(() -> FeedbackException.notFound("annotator " + id));
    }

    @Override
    public String issueToken(long annotatorId, String label) {
        byte[] raw = new byte[32];
        tokenRandom.nextBytes(raw);
        String token = HexFormat.of().formatHex(raw);
        write(false, c -> {
            requireAnnotator(c, annotatorId);
            return insert(c, "INSERT INTO api_tokens (annotator_id, token_sha256, label, created_at) VALUES (?, ?, ?, ?)",
                    annotatorId, sha256Hex(token), label == null ? "" : label, now());
        });
        return token;
    }

    @Override
    public Optional<Annotator> authenticate(String token) {
        if (token == null || !token.matches("[0-9a-fA-F]{64}")) return Optional.empty();
        String hash = sha256Hex(token.toLowerCase(java.util.Locale.ROOT));
        return read(c -> one(c, JdbcFeedbackStore::mapAnnotator,
                "SELECT a.id, a.name, a.kind, a.created_at FROM api_tokens t JOIN annotators a ON a.id = t.annotator_id "
                        + "WHERE t.token_sha256 = ? AND t.revoked_at IS NULL", hash));
    }

    @Override
    public int revokeTokens(long annotatorId) {
        return write(true, c -> update(c, "UPDATE api_tokens SET revoked_at = ? WHERE annotator_id = ? AND revoked_at IS NULL",
                now(), annotatorId));
    }

    // ------------------------------------------------------------------ content

    @Override
    public Prompt addPrompt(long datasetId, String text, String groupKey, String source) {
        return write(false, c -> new ConnWriter(c).insertPrompt(datasetId, text, groupKey, source));
    }

    @Override
    public Response addResponse(long promptId, String text, Response.ModelInfo model) {
        return write(false, c -> new ConnWriter(c).insertResponse(promptId, text, model));
    }

    @Override
    public Task addTask(long datasetId, NewTask task) {
        return write(false, c -> new ConnWriter(c).insertTask(datasetId, task));
    }

    @Override
    public Optional<Prompt> findPrompt(long datasetId, String text) {
        return read(c -> new ConnWriter(c).selectPrompt(datasetId, text));
    }

    @Override
    public Optional<Response> findResponse(long promptId, String text) {
        return read(c -> new ConnWriter(c).selectResponse(promptId, text));
    }

    @Override
    public boolean hasJudgement(long annotatorId, String clientId) {
        return read(c -> count(c, "SELECT COUNT(*) FROM judgements WHERE annotator_id = ? AND client_id = ?", annotatorId, clientId) > 0);
    }

    @Override
    public Judgement addJudgement(long taskId, long annotatorId, String clientId, JudgementPayload payload, Instant createdAt,
                                  long durationMillis, Double confidence) {
        return write(false, c -> new ConnWriter(c).insertJudgement(taskId, annotatorId, clientId, payload, createdAt, durationMillis, confidence));
    }

    @Override
    public <T> T batch(Function<BatchWriter, T> work) {
        return write(false, c -> work.apply(new ConnWriter(c)));
    }

    @Override
    public Optional<Prompt> prompt(long id) {
        return read(c -> one(c, JdbcFeedbackStore::mapPrompt, "SELECT " + PROMPT_COLS + " FROM prompts WHERE id = ?", id));
    }

    @Override
    public List<Prompt> prompts(long datasetId) {
        return read(c -> list(c, JdbcFeedbackStore::mapPrompt, "SELECT " + PROMPT_COLS + " FROM prompts WHERE dataset_id = ? ORDER BY id", datasetId));
    }

    @Override
    public Optional<Response> response(long id) {
        return read(c -> one(c, this::mapResponse, "SELECT " + RESPONSE_COLS + " FROM responses WHERE id = ?", id));
    }

    @Override
    public List<Response> responses(long promptId) {
        return read(c -> list(c, this::mapResponse, "SELECT " + RESPONSE_COLS + " FROM responses WHERE prompt_id = ? ORDER BY id", promptId));
    }

    @Override
    public List<Response> responsesInDataset(long datasetId) {
        return read(c -> list(c, this::mapResponse, "SELECT r.id, r.prompt_id, r.text, r.model_id, r.model_version, r.generation_settings, "
                + "r.created_at FROM responses r JOIN prompts p ON p.id = r.prompt_id WHERE p.dataset_id = ? ORDER BY r.id", datasetId));
    }

    @Override
    public Optional<Task> task(long id) {
        return read(c -> one(c, this::mapTask, "SELECT " + TASK_COLS + " FROM tasks WHERE id = ?", id));
    }

    @Override
    public List<Task> tasks(long datasetId) {
        return read(c -> list(c, this::mapTask, "SELECT " + TASK_COLS + " FROM tasks WHERE dataset_id = ? ORDER BY id", datasetId));
    }

    @Override
    public void setPriority(long taskId, int priority) {
        write(true, c -> {
            if (update(c, "UPDATE tasks SET priority = ? WHERE id = ?", priority, taskId) == 0)
                throw FeedbackException.notFound("task " + taskId);
            return null;
        });
    }

    private Task requireTask(Connection c, long id) throws SQLException {
        return one(c, this::mapTask, "SELECT " + TASK_COLS + " FROM tasks WHERE id = ?", id)
                .orElseThrow(() -> FeedbackException.notFound("task " + id));
    }

    /** Content writes bound to one connection (and so to one transaction). */
    private final class ConnWriter implements BatchWriter {
        private final Connection c;

        ConnWriter(Connection c) { this.c = c; }

        @Override public Dataset ensureDataset(String name, String description, DatasetSettings settings) {
            try { return JdbcFeedbackStore.this.ensureDataset(c, name, description, settings); } catch (SQLException e) { throw new SqlFailure(e); }
        }

        @Override public Annotator ensureAnnotator(String name, AnnotatorKind kind) {
            try { return JdbcFeedbackStore.this.ensureAnnotator(c, name, kind); } catch (SQLException e) { throw new SqlFailure(e); }
        }

        @Override public Prompt addPrompt(long datasetId, String text, String groupKey, String source) {
            try { return insertPrompt(datasetId, text, groupKey, source); } catch (SQLException e) { throw new SqlFailure(e); }
        }

        @Override public Response addResponse(long promptId, String text, Response.ModelInfo model) {
            try { return insertResponse(promptId, text, model); } catch (SQLException e) { throw new SqlFailure(e); }
        }

        @Override public Task addTask(long datasetId, NewTask task) {
            try { return insertTask(datasetId, task); } catch (SQLException e) { throw new SqlFailure(e); }
        }

        @Override public Optional<Prompt> findPrompt(long datasetId, String text) {
            try { return selectPrompt(datasetId, text); } catch (SQLException e) { throw new SqlFailure(e); }
        }

        @Override public Optional<Response> findResponse(long promptId, String text) {
            try { return selectResponse(promptId, text); } catch (SQLException e) { throw new SqlFailure(e); }
        }

        @Override public boolean hasJudgement(long annotatorId, String clientId) {
            try {
                return count(c, "SELECT COUNT(*) FROM judgements WHERE annotator_id = ? AND client_id = ?", annotatorId, clientId) > 0;
            } catch (SQLException e) { throw new SqlFailure(e); }
        }

        @Override public Judgement addJudgement(long taskId, long annotatorId, String clientId, JudgementPayload payload,
                                                Instant createdAt, long durationMillis, Double confidence) {
            try {
                return insertJudgement(taskId, annotatorId, clientId, payload, createdAt, durationMillis, confidence);
            } catch (SQLException e) { throw new SqlFailure(e); }
        }

        Prompt insertPrompt(long datasetId, String text, String groupKey, String source) throws SQLException {
            requireDataset(c, datasetId);
            Prompt p = new Prompt(0, datasetId, text, groupKey, source, Instant.ofEpochMilli(now()));
            long id = insert(c, "INSERT INTO prompts (dataset_id, text, text_sha256, group_key, source, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                    datasetId, text, sha256Hex(text), groupKey, source, p.createdAt().toEpochMilli());
            return new Prompt(id, datasetId, text, groupKey, source, p.createdAt());
        }

        Response insertResponse(long promptId, String text, Response.ModelInfo model) throws SQLException {
            Response r = new Response(0, promptId, text, model == null ? Response.ModelInfo.unknown() : model, Instant.ofEpochMilli(now()));
            if (count(c, "SELECT COUNT(*) FROM prompts WHERE id = ?", promptId) == 0) throw FeedbackException.notFound("prompt " + promptId);
            long id = insert(c, "INSERT INTO responses (prompt_id, text, text_sha256, model_id, model_version, generation_settings, created_at) "
                            + "VALUES (?, ?, ?, ?, ?, ?, ?)", promptId, text, sha256Hex(text), r.model().modelId(), r.model().modelVersion(),
                    codec.write(r.model().generationSettings()), r.createdAt().toEpochMilli());
            return new Response(id, promptId, text, r.model(), r.createdAt());
        }

        Task insertTask(long datasetId, NewTask t) throws SQLException {
            requireDataset(c, datasetId);
            Prompt p = one(c, JdbcFeedbackStore::mapPrompt, "SELECT " + PROMPT_COLS + " FROM prompts WHERE id = ?", t.promptId())
                    .orElseThrow(() -> FeedbackException.notFound("prompt " + t.promptId()));
            if (p.datasetId() != datasetId) throw FeedbackException.invalid("prompt " + p.id() + " is not in dataset " + datasetId);
            for (long rid : t.responseIds()) {
                long owner = count(c, "SELECT COALESCE(MAX(prompt_id), -1) FROM responses WHERE id = ?", rid);
                if (owner == -1) throw FeedbackException.notFound("response " + rid);
                if (owner != p.id()) throw FeedbackException.invalid("response " + rid + " does not answer prompt " + p.id());
            }
            long created = now();
            boolean gold = t.goldAnswer() != null;
            long id = insert(c, "INSERT INTO tasks (dataset_id, prompt_id, kind, response_ids, priority, gold, gold_answer, slots_taken, "
                            + "judgement_count, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 0, 0, ?)", datasetId, p.id(), t.kind().wireName(),
                    encodeIds(t.responseIds()), t.priority(), gold, gold ? codec.toJson(t.goldAnswer()) : null, created);
            return new Task(id, datasetId, p.id(), t.kind(), t.responseIds(), t.priority(), gold, t.goldAnswer(), 0, Instant.ofEpochMilli(created));
        }

        Optional<Prompt> selectPrompt(long datasetId, String text) throws SQLException {
            return list(c, JdbcFeedbackStore::mapPrompt, "SELECT " + PROMPT_COLS + " FROM prompts WHERE dataset_id = ? AND text_sha256 = ? ORDER BY id",
                    datasetId, sha256Hex(text)).stream().filter(p -> p.text().equals(text)).findFirst();
        }

        Optional<Response> selectResponse(long promptId, String text) throws SQLException {
            return list(c, JdbcFeedbackStore.this::mapResponse, "SELECT " + RESPONSE_COLS + " FROM responses WHERE prompt_id = ? AND text_sha256 = ? "
                    + "ORDER BY id", promptId, sha256Hex(text)).stream().filter(r -> r.text().equals(text)).findFirst();
        }

        Judgement insertJudgement(long taskId, long annotatorId, String clientId, JudgementPayload payload, Instant createdAt,
                                  long durationMillis, Double confidence) throws SQLException {
            Task task = requireTask(c, taskId);
            requireAnnotator(c, annotatorId);
            Dataset dataset = requireDataset(c, task.datasetId());
            if (count(c, "SELECT COUNT(*) FROM judgements WHERE annotator_id = ? AND client_id = ?", annotatorId, clientId) > 0)
                throw FeedbackException.conflict("annotator " + annotatorId + " already used client id '" + clientId + "'");
            if (count(c, "SELECT COUNT(*) FROM judgements WHERE annotator_id = ? AND task_id = ?", annotatorId, taskId) > 0)
                throw FeedbackException.conflict("annotator " + annotatorId + " already judged task " + taskId);
            Shown shown = shownFor(c, task, task.responseIds());
            Judgement j = storeJudgement(c, task, dataset, annotatorId, null, clientId, payload, shown, createdAt.toEpochMilli(),
                    durationMillis, confidence);
            update(c, "UPDATE tasks SET judgement_count = judgement_count + 1, slots_taken = slots_taken + ? WHERE id = ?",
                    task.gold() ? 0 : 1, taskId);
            return j;
        }
    }

    /** What is shown for a task in the given order. */
    private Shown shownFor(Connection c, Task task, List<Long> order) throws SQLException {
        Prompt p = one(c, JdbcFeedbackStore::mapPrompt, "SELECT " + PROMPT_COLS + " FROM prompts WHERE id = ?", task.promptId()).orElseThrow();
        List<String> texts = new ArrayList<>();
        for (Response r : responsesInOrder(c, order)) texts.add(r.text());
        return new Shown(p.text(), order, texts);
    }

    private List<Response> responsesInOrder(Connection c, List<Long> order) throws SQLException {
        List<Response> out = new ArrayList<>();
        for (long id : order)
            out.add(one(c, this::mapResponse, "SELECT " + RESPONSE_COLS + " FROM responses WHERE id = ?", id).orElseThrow());
        return out;
    }

    /** Checks a payload against its task and dataset, then inserts it. Does not touch the task's counters. */
    private Judgement storeJudgement(Connection c, Task task, Dataset dataset, long annotatorId, Long assignmentId, String clientId,
                                     JudgementPayload payload, Shown shown, long createdAt, long durationMillis, Double confidence)
            throws SQLException {
        checkPayload(task, dataset, payload);
        JudgementPayload canonical = payload.inOrder(shown.responseIds(), task.responseIds());
        Boolean goldCorrect = task.gold() ? GoldCheck.matches(task.goldAnswer(), canonical) : null;
        Judgement j = new Judgement(0, task.datasetId(), task.id(), annotatorId, assignmentId, clientId, payload, shown,
                Instant.ofEpochMilli(createdAt), durationMillis, confidence, goldCorrect);
        long id = insert(c, "INSERT INTO judgements (dataset_id, task_id, annotator_id, assignment_id, client_id, kind, payload, shown, "
                        + "created_at, duration_ms, confidence, gold_correct) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                task.datasetId(), task.id(), annotatorId, assignmentId, clientId, payload.kind().wireName(), codec.toJson(payload),
                codec.toJson(shown), createdAt, durationMillis, confidence, goldCorrect);
        return new Judgement(id, j.datasetId(), j.taskId(), j.annotatorId(), j.assignmentId(), j.clientId(), j.payload(), j.shown(),
                j.createdAt(), j.durationMillis(), j.confidence(), j.goldCorrect());
    }

    private static void checkPayload(Task task, Dataset dataset, JudgementPayload payload) {
        if (payload.kind() != task.kind())
            throw FeedbackException.invalid("task " + task.id() + " asks for a " + task.kind().wireName() + " judgement, got " + payload.kind().wireName());
        if (payload instanceof JudgementPayload.Ranking r && r.ranks().size() != task.responseIds().size())
            throw FeedbackException.invalid("task " + task.id() + " has " + task.responseIds().size() + " responses, the ranking has "
                    + r.ranks().size() + " ranks");
        if (payload instanceof JudgementPayload.Rating r) {
            for (String f : r.flags())
                if (!dataset.settings().ratingFlags().contains(f))
                    throw FeedbackException.invalid("flag '" + f + "' is not one of " + dataset.settings().ratingFlags());
        }
    }

    // ------------------------------------------------------------------ assignment

    @Override
    public Optional<AssignedTask> nextTask(long annotatorId, long datasetId) {
        return write(true, c -> {
            // Row lock per annotator (PostgreSQL; portable no-op update) so one annotator's concurrent calls serialise.
            if (update(c, "UPDATE annotators SET kind = kind WHERE id = ?", annotatorId) == 0)
                throw FeedbackException.notFound("annotator " + annotatorId);
            Dataset dataset = requireDataset(c, datasetId);
            long now = now();
            Optional<Assignment> live = one(c, JdbcFeedbackStore::mapAssignment, "SELECT " + ASSIGNMENT_COLS + " FROM assignments "
                    + "WHERE annotator_id = ? AND dataset_id = ? AND state = 'leased' AND expires_at > ? ORDER BY id", annotatorId, datasetId, now);
            if (live.isPresent()) return Optional.of(assemble(c, live.get(), dataset));
            reclaim(c, datasetId, now);

            Task chosen = null;
            if (dataset.settings().goldRate() > 0 && random.nextDouble() < dataset.settings().goldRate()) {
                List<Task> gold = list(c, JdbcFeedbackStore.this::mapTask, "SELECT " + TASK_COLS + " FROM tasks t WHERE t.dataset_id = ? AND t.gold = 1 "
                        + "AND NOT EXISTS (SELECT 1 FROM assignments a WHERE a.task_id = t.id AND a.annotator_id = ?) "
                        + "AND NOT EXISTS (SELECT 1 FROM judgements j WHERE j.task_id = t.id AND j.annotator_id = ?) "
                        + "ORDER BY t.id LIMIT 50", datasetId, annotatorId, annotatorId);
                if (!gold.isEmpty()) chosen = gold.get(random.nextInt(gold.size()));
            }
            int overlap = dataset.settings().overlap();
            for (int round = 0; chosen == null && round < 20; round++) {
                List<Task> candidates = list(c, JdbcFeedbackStore.this::mapTask, "SELECT " + TASK_COLS + " FROM tasks t "
                        + "WHERE t.dataset_id = ? AND t.gold = 0 AND t.slots_taken < ? "
                        + "AND NOT EXISTS (SELECT 1 FROM assignments a WHERE a.task_id = t.id AND a.annotator_id = ?) "
                        + "AND NOT EXISTS (SELECT 1 FROM judgements j WHERE j.task_id = t.id AND j.annotator_id = ?) "
                        + "ORDER BY t.priority DESC, t.id LIMIT 8", datasetId, overlap, annotatorId, annotatorId);
                if (candidates.isEmpty()) return Optional.<AssignedTask>empty();
                for (Task t : candidates) {
                    // The guard is re-evaluated after any row-lock wait, so two callers cannot both take the last slot.
                    if (update(c, "UPDATE tasks SET slots_taken = slots_taken + 1 WHERE id = ? AND slots_taken < ?", t.id(), overlap) == 1) {
                        chosen = t;
                        break;
                    }
                }
            }
            if (chosen == null) return Optional.<AssignedTask>empty(); // heavy contention: caller may ask again
            List<Long> order = new ArrayList<>(chosen.responseIds());
            for (int i = order.size() - 1; i > 0; i--) java.util.Collections.swap(order, i, random.nextInt(i + 1));
            long expires = now + dataset.settings().leaseTimeout().toMillis();
            long id = insert(c, "INSERT INTO assignments (task_id, annotator_id, dataset_id, shown_order, state, leased_at, expires_at) "
                    + "VALUES (?, ?, ?, ?, 'leased', ?, ?)", chosen.id(), annotatorId, datasetId, encodeIds(order), now, expires);
            Assignment a = new Assignment(id, chosen.id(), annotatorId, datasetId, order, Assignment.State.LEASED,
                    Instant.ofEpochMilli(now), Instant.ofEpochMilli(expires));
            return Optional.of(assemble(c, a, dataset));
        });
    }

    private AssignedTask assemble(Connection c, Assignment a, Dataset dataset) throws SQLException {
        Task task = requireTask(c, a.taskId());
        Prompt prompt = one(c, JdbcFeedbackStore::mapPrompt, "SELECT " + PROMPT_COLS + " FROM prompts WHERE id = ?", task.promptId()).orElseThrow();
        return new AssignedTask(a, task, prompt, responsesInOrder(c, a.shownOrder()), dataset.settings().ratingFlags());
    }

    /** Expires overdue leases (of one dataset, or all when datasetId is null) and frees their slots. */
    private int reclaim(Connection c, Long datasetId, long now) throws SQLException {
        List<Assignment> overdue = datasetId == null
                ? list(c, JdbcFeedbackStore::mapAssignment, "SELECT " + ASSIGNMENT_COLS + " FROM assignments WHERE state = 'leased' "
                        + "AND expires_at <= ? ORDER BY id", now)
                : list(c, JdbcFeedbackStore::mapAssignment, "SELECT " + ASSIGNMENT_COLS + " FROM assignments WHERE dataset_id = ? "
                        + "AND state = 'leased' AND expires_at <= ? ORDER BY id", datasetId, now);
        int n = 0;
        for (Assignment a : overdue) {
            if (update(c, "UPDATE assignments SET state = 'expired' WHERE id = ? AND state = 'leased'", a.id()) == 1) {
                update(c, "UPDATE tasks SET slots_taken = slots_taken - 1 WHERE id = ? AND gold = 0", a.taskId());
                n++;
            }
        }
        return n;
    }

    @Override
    public int reclaimExpiredLeases() {
        return write(true, c -> reclaim(c, null, now()));
    }

    @Override
    public AssignedTask assignment(long assignmentId, long annotatorId) {
        return read(c -> {
            Assignment a = requireOwnAssignment(c, assignmentId, annotatorId);
            return assemble(c, a, requireDataset(c, a.datasetId()));
        });
    }

    private Assignment requireOwnAssignment(Connection c, long assignmentId, long annotatorId) throws SQLException {
        Assignment a = one(c, JdbcFeedbackStore::mapAssignment, "SELECT " + ASSIGNMENT_COLS + " FROM assignments WHERE id = ?", assignmentId)
                .orElseThrow(() -> FeedbackException.notFound("assignment " + assignmentId));
        if (a.annotatorId() != annotatorId)
            throw FeedbackException.forbidden("assignment " + assignmentId + " belongs to another annotator");
        return a;
    }

    @Override
    public void release(long assignmentId, long annotatorId) {
        write(true, c -> {
            Assignment a = requireOwnAssignment(c, assignmentId, annotatorId);
            if (a.state() == Assignment.State.SUBMITTED) throw FeedbackException.conflict("assignment " + assignmentId + " was already answered");
            if (update(c, "UPDATE assignments SET state = 'released' WHERE id = ? AND state = 'leased'", assignmentId) == 1)
                update(c, "UPDATE tasks SET slots_taken = slots_taken - 1 WHERE id = ? AND gold = 0", a.taskId());
            return null;
        });
    }

    // ------------------------------------------------------------------ judgements

    @Override
    public SubmitResult submit(long annotatorId, Submission s) {
        return write(true, c -> {
            if (update(c, "UPDATE annotators SET kind = kind WHERE id = ?", annotatorId) == 0)
                throw FeedbackException.notFound("annotator " + annotatorId);
            Optional<Judgement> earlier = one(c, this::mapJudgement, "SELECT " + JUDGEMENT_COLS + " FROM judgements "
                    + "WHERE annotator_id = ? AND client_id = ?", annotatorId, s.clientId());
            if (earlier.isPresent()) {
                if (!Long.valueOf(s.assignmentId()).equals(earlier.get().assignmentId()))
                    throw FeedbackException.conflict("client id '" + s.clientId() + "' was already used for another submission (judgement "
                            + earlier.get().id() + ")");
                return new SubmitResult(earlier.get(), true);
            }
            Assignment a = requireOwnAssignment(c, s.assignmentId(), annotatorId);
            if (a.state() == Assignment.State.SUBMITTED)
                throw FeedbackException.conflict("assignment " + a.id() + " was already answered with another client id");
            Task task = requireTask(c, a.taskId());
            Dataset dataset = requireDataset(c, task.datasetId());
            Shown shown = shownFor(c, task, a.shownOrder());
            Judgement j = storeJudgement(c, task, dataset, annotatorId, a.id(), s.clientId(), s.payload(), shown, now(),
                    s.durationMillis(), s.confidence());
            if (update(c, "UPDATE assignments SET state = 'submitted' WHERE id = ? AND state = ?", a.id(), a.state().wireName()) != 1)
                throw new SQLException("assignment " + a.id() + " changed concurrently", "40001");
            // A late answer on an expired or released lease takes its slot back.
            int slot = a.state() == Assignment.State.LEASED || task.gold() ? 0 : 1;
            update(c, "UPDATE tasks SET judgement_count = judgement_count + 1, slots_taken = slots_taken + ? WHERE id = ?", slot, task.id());
            return new SubmitResult(j, false);
        });
    }

    @Override
    public Optional<Judgement> judgement(long id) {
        return read(c -> one(c, this::mapJudgement, "SELECT " + JUDGEMENT_COLS + " FROM judgements WHERE id = ?", id));
    }

    @Override
    public List<Judgement> judgements(long datasetId) {
        return read(c -> list(c, this::mapJudgement, "SELECT " + JUDGEMENT_COLS + " FROM judgements WHERE dataset_id = ? ORDER BY id", datasetId));
    }

    @Override
    public List<Judgement> judgementsForTask(long taskId) {
        return read(c -> list(c, this::mapJudgement, "SELECT " + JUDGEMENT_COLS + " FROM judgements WHERE task_id = ? ORDER BY id", taskId));
    }

    @Override
    public List<Judgement> judgementsBy(long annotatorId) {
        return read(c -> list(c, this::mapJudgement, "SELECT " + JUDGEMENT_COLS + " FROM judgements WHERE annotator_id = ? ORDER BY id", annotatorId));
    }

    // ------------------------------------------------------------------ summaries

    @Override
    public List<DatasetSummary> datasetSummaries() {
        return read(c -> {
            List<DatasetSummary> out = new ArrayList<>();
            for (Dataset d : list(c, this::mapDataset, "SELECT " + DATASET_COLS + " FROM datasets ORDER BY id")) {
                int overlap = d.settings().overlap();
                try (PreparedStatement ps = prepare(c, "SELECT "
                        + "SUM(CASE WHEN gold = 0 AND judgement_count = 0 AND slots_taken = 0 THEN 1 ELSE 0 END), "
                        + "SUM(CASE WHEN gold = 0 AND judgement_count < ? AND (judgement_count > 0 OR slots_taken > 0) THEN 1 ELSE 0 END), "
                        + "SUM(CASE WHEN gold = 0 AND judgement_count >= ? THEN 1 ELSE 0 END), "
                        + "SUM(CASE WHEN gold = 1 THEN 1 ELSE 0 END) FROM tasks WHERE dataset_id = ?", overlap, overlap, d.id());
                     ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    int prompts = (int) count(c, "SELECT COUNT(*) FROM prompts WHERE dataset_id = ?", d.id());
                    int judgements = (int) count(c, "SELECT COUNT(*) FROM judgements WHERE dataset_id = ?", d.id());
                    out.add(new DatasetSummary(d, prompts, rs.getInt(1), rs.getInt(2), rs.getInt(3), rs.getInt(4), judgements));
                }
            }
            return out;
        });
    }
}
