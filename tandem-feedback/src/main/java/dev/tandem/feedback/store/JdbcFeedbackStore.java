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
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
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
 * <p>Durability: each public write commits before returning. SQLite runs in WAL mode with {@code synchronous=FULL}:
 * every commit fsyncs the WAL, so an acknowledged judgement survives not only {@code kill -9} (which NORMAL would
 * already survive in WAL mode, since the WAL write reaches the OS before commit returns) but also a power cut or OS
 * crash. The labelling writes ({@code nextTask}, {@code submit}, {@code release}, {@code reclaimExpiredLeases}) go
 * through {@link GroupCommit}: concurrent calls share one transaction and so one fsync, each returning only after
 * that commit, which is what makes FULL affordable under load (about one fsync per group instead of per call).
 *
 * <p>Concurrency: on SQLite, writers are serialised by one in-process fair lock (SQLite allows a single writer anyway),
 * transactions begin IMMEDIATE, i.e. hold the database's write lock from before their first read, so a read-then-write
 * such as "pick an open task, take its slot" is atomic against other connections and processes too, and
 * {@code busy_timeout} absorbs writers from other processes (e.g. a CLI import while the server runs); readers use the
 * pool concurrently (WAL). On PostgreSQL, writes run concurrently at READ COMMITTED; {@code nextTask} picks with
 * {@code FOR UPDATE SKIP LOCKED} and takes the slot with a guarded {@code UPDATE tasks SET slots_taken = slots_taken + 1
 * WHERE id = ? AND slots_taken < overlap} whose row count is checked; a per-annotator row lock serialises one
 * annotator's calls, and a transaction that loses a race (unique violation, deadlock) is retried.
 *
 * <p>Picking a task reads the first entry of the partial index {@code tasks_open} (migration V2), which holds exactly
 * the open non-gold tasks in serving order, so its cost does not grow with the number of finished tasks.
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
    private final GroupCommit groupCommit; // SQLite only: nextTask, submit, release, reclaim
    private final PayloadCodec codec = new PayloadCodec();
    // nextTask's pick-and-take statements (see takeOpenTaskSql), built once: they depend only on the dialect
    private final String takeSkippingLocked;
    private final String takeWaiting; // PostgreSQL only

    // Caches for the labelling hot path (see RowCache), small on purpose (whatever they hold outlives young GCs and
    // is copied by them; tasks are served in order, so a prompt's rows are wanted together). Prompts and responses never change;
    // annotators are never deleted; dataset settings are re-read at least every second (changes made through this
    // store are seen at once, changes by another process within a second).
    private static final long DATASET_MAX_AGE_NANOS = 1_000_000_000L;
    private final RowCache<Prompt> prompts = new RowCache<>(4_096, Long.MAX_VALUE);
    private final RowCache<Response> responses = new RowCache<>(16_384, Long.MAX_VALUE);
    private final RowCache<Dataset> datasetSettings = new RowCache<>(1_000, DATASET_MAX_AGE_NANOS);
    private final java.util.Set<Long> knownAnnotators = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private JdbcFeedbackStore(HikariDataSource dataSource, Dialect dialect, StoreConfig config) {
        this.dataSource = dataSource;
        this.dialect = dialect;
        this.clock = config.clock();
        this.random = config.random();
        this.writeLock = dialect == Dialect.SQLITE ? new ReentrantLock(true) : null;
        this.groupCommit = dialect == Dialect.SQLITE ? new GroupCommit(dataSource, writeLock) : null;
        this.takeSkippingLocked = takeOpenTaskSql(dialect.skipLockedRows("t"));
        this.takeWaiting = dialect == Dialect.POSTGRESQL ? takeOpenTaskSql(" FOR UPDATE OF t") : null;
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
            // ids come from INSERT ... RETURNING; without this the driver regex-scans every statement's SQL for INSERT
            hc.addDataSourceProperty("jdbc.get_generated_keys", "false");
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
        if (groupCommit != null) groupCommit.close(); // finishes the queued writes first
        dataSource.close();
    }

    /** A pooled connection, for tests that inspect connection settings. */
    Connection connectionForTests() throws SQLException {
        return dataSource.getConnection();
    }

    // ------------------------------------------------------------------ transactions

    @FunctionalInterface
    interface SqlWork<T> {
        T run(Tx db) throws SQLException;
    }

    /** Wraps an SQLException thrown inside a BatchWriter call so it can cross a java.util.function boundary. */
    static final class SqlFailure extends RuntimeException {
        SqlFailure(SQLException cause) { super(cause); }
        SQLException sql() { return (SQLException) getCause(); }
    }

    private <T> T read(SqlWork<T> work) {
        try (Connection c = dataSource.getConnection()) {
            return work.run(Tx.of(c));
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
                Tx tx = Tx.cached(c); // statements reused within the transaction (imports repeat a few thousand times)
                try {
                    T result = work.run(tx);
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
                    tx.closeStatements();
                    c.setAutoCommit(true);
                }
            } catch (SQLException e) {
                throw new StorageException("database write failed: " + e.getMessage(), e);
            } finally {
                if (writeLock != null) writeLock.unlock();
            }
        }
    }

    /**
     * The labelling writes (lease, submit, release, reclaim): on SQLite through {@link GroupCommit} (many callers'
     * operations share one transaction and one fsync, each acknowledged only after the commit); on PostgreSQL,
     * which runs writers concurrently and groups concurrent commits itself, as an ordinary retryable transaction.
     */
    private <T> T hot(SqlWork<T> work) {
        return groupCommit != null ? groupCommit.call(work::run) : write(true, work);
    }

    private static void rollbackQuietly(Connection c, Exception cause) {
        try {
            c.rollback();
        } catch (SQLException r) {
            cause.addSuppressed(r);
        }
    }

    // ------------------------------------------------------------------ small helpers

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
        List<Long> out = new ArrayList<>(4);
        for (int from = 0; from <= s.length(); ) {
            int comma = s.indexOf(',', from);
            int to = comma < 0 ? s.length() : comma;
            out.add(Long.parseLong(s, from, to, 10));
            from = to + 1;
        }
        return out;
    }

    // ------------------------------------------------------------------ row mappers

    private static final String DATASET_COLS = "id, name, description, overlap, gold_rate, lease_ms, rating_flags, created_at";
    private static final String ANNOTATOR_COLS = "id, name, kind, created_at";
    private static final String PROMPT_COLS = "id, dataset_id, text, group_key, source, created_at";
    private static final String RESPONSE_COLS = "id, prompt_id, text, model_id, model_version, generation_settings, created_at";
    private static final String TASK_COLS =
            "id, dataset_id, prompt_id, kind, response_ids, priority, gold, gold_answer, judgement_count, created_at";
    private static final String ASSIGNMENT_COLS = "id, task_id, annotator_id, dataset_id, shown_order, state, leased_at, expires_at";
    private static final int ASSIGNMENT_COLUMNS = 8;
    private static final String ASSIGNMENT_COLS_A = "a.id, a.task_id, a.annotator_id, a.dataset_id, a.shown_order, a.state, a.leased_at, a.expires_at";
    private static final String TASK_COLS_T =
            "t.id, t.dataset_id, t.prompt_id, t.kind, t.response_ids, t.priority, t.gold, t.gold_answer, t.judgement_count, t.created_at";
    private static final String JUDGEMENT_COLS = "id, dataset_id, task_id, annotator_id, assignment_id, client_id, payload, shown, "
            + "created_at, duration_ms, confidence, gold_correct";

    // Mappers read columns by position, in the order of the *_COLS lists (every query selects exactly those, in that
    // order): sqlite-jdbc would otherwise build a name-to-index table through JNI for every result set.

    private Dataset mapDataset(ResultSet rs) throws SQLException {
        List<String> flags = codec.mapper().convertValue(codec.read(rs.getString(7)), new TypeReference<List<String>>() {});
        DatasetSettings settings = new DatasetSettings(rs.getInt(4), rs.getDouble(5),
                Duration.ofMillis(rs.getLong(6)), flags);
        return new Dataset(rs.getLong(1), rs.getString(2), rs.getString(3), settings,
                Instant.ofEpochMilli(rs.getLong(8)));
    }

    private static Annotator mapAnnotator(ResultSet rs) throws SQLException {
        return new Annotator(rs.getLong(1), rs.getString(2), AnnotatorKind.fromWire(rs.getString(3)),
                Instant.ofEpochMilli(rs.getLong(4)));
    }

    private static Prompt mapPrompt(ResultSet rs) throws SQLException {
        return new Prompt(rs.getLong(1), rs.getLong(2), rs.getString(3), rs.getString(4),
                rs.getString(5), Instant.ofEpochMilli(rs.getLong(6)));
    }

    private static final TypeReference<Map<String, String>> STRING_MAP = new TypeReference<>() {};

    private Response mapResponse(ResultSet rs) throws SQLException {
        String json = rs.getString(6);
        Map<String, String> settings;
        try {
            settings = json.equals("{}") ? Map.of() : codec.mapper().readValue(json, STRING_MAP);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new SQLException("response " + rs.getLong(1) + ": generation_settings is not a JSON object of strings: " + e.getMessage(), e);
        }
        return new Response(rs.getLong(1), rs.getLong(2), rs.getString(3),
                new Response.ModelInfo(rs.getString(4), rs.getString(5), settings),
                Instant.ofEpochMilli(rs.getLong(7)));
    }

    private Task mapTask(ResultSet rs) throws SQLException {
        return mapTask(rs, 0);
    }

    /** A task from the TASK_COLS that start after {@code skip} other columns. */
    private Task mapTask(ResultSet rs, int skip) throws SQLException {
        String gold = rs.getString(skip + 8);
        return new Task(rs.getLong(skip + 1), rs.getLong(skip + 2), rs.getLong(skip + 3), JudgementKind.fromWire(rs.getString(skip + 4)),
                decodeIds(rs.getString(skip + 5)), rs.getInt(skip + 6), rs.getInt(skip + 7) != 0,
                gold == null ? null : codec.fromJson(gold), rs.getInt(skip + 9), Instant.ofEpochMilli(rs.getLong(skip + 10)));
    }

    private static Assignment mapAssignment(ResultSet rs) throws SQLException {
        return new Assignment(rs.getLong(1), rs.getLong(2), rs.getLong(3), rs.getLong(4),
                decodeIds(rs.getString(5)), Assignment.State.fromWire(rs.getString(6)),
                Instant.ofEpochMilli(rs.getLong(7)), Instant.ofEpochMilli(rs.getLong(8)));
    }

    private Judgement mapJudgement(ResultSet rs) throws SQLException {
        long assignment = rs.getLong(5);
        Long assignmentId = rs.wasNull() ? null : assignment;
        double conf = rs.getDouble(11);
        Double confidence = rs.wasNull() ? null : conf;
        int gc = rs.getInt(12);
        Boolean goldCorrect = rs.wasNull() ? null : gc != 0;
        return new Judgement(rs.getLong(1), rs.getLong(2), rs.getLong(3), rs.getLong(4),
                assignmentId, rs.getString(6), codec.fromJson(rs.getString(7)), codec.shownFromJson(rs.getString(8)),
                Instant.ofEpochMilli(rs.getLong(9)), rs.getLong(10), confidence, goldCorrect);
    }

    // ------------------------------------------------------------------ datasets

    @Override
    public Dataset createDataset(String name, String description, DatasetSettings settings) {
        return write(false, db -> insertDataset(db, name, description, settings));
    }

    private Dataset insertDataset(Tx db, String name, String description, DatasetSettings settings) throws SQLException {
        Dataset probe = new Dataset(0, name, description, settings, Instant.ofEpochMilli(now())); // validates
        if (db.one(this::mapDataset, "SELECT " + DATASET_COLS + " FROM datasets WHERE name = ?", name).isPresent())
            throw FeedbackException.conflict("a dataset named '" + name + "' already exists");
        long id = db.insert("INSERT INTO datasets (name, description, overlap, gold_rate, lease_ms, rating_flags, created_at) "
                        + "VALUES (?, ?, ?, ?, ?, ?, ?)", name, probe.description(), settings.overlap(), settings.goldRate(),
                settings.leaseTimeout().toMillis(), codec.write(settings.ratingFlags()), probe.createdAt().toEpochMilli());
        return new Dataset(id, name, probe.description(), settings, probe.createdAt());
    }

    @Override
    public Dataset ensureDataset(String name, String description, DatasetSettings settings) {
        return write(true, db -> ensureDataset(db, name, description, settings));
    }

    private Dataset ensureDataset(Tx db, String name, String description, DatasetSettings settings) throws SQLException {
        Optional<Dataset> existing = db.one(this::mapDataset, "SELECT " + DATASET_COLS + " FROM datasets WHERE name = ?", name);
        return existing.isPresent() ? existing.get() : insertDataset(db, name, description, settings);
    }

    @Override
    public Optional<Dataset> dataset(long id) {
        return read(db -> db.one(this::mapDataset, "SELECT " + DATASET_COLS + " FROM datasets WHERE id = ?", id));
    }

    @Override
    public Optional<Dataset> datasetByName(String name) {
        return read(db -> db.one(this::mapDataset, "SELECT " + DATASET_COLS + " FROM datasets WHERE name = ?", name));
    }

    @Override
    public List<Dataset> datasets() {
        return read(db -> db.list(this::mapDataset, "SELECT " + DATASET_COLS + " FROM datasets ORDER BY id"));
    }

    @Override
    public Dataset updateSettings(long datasetId, DatasetSettings s) {
        Dataset updated = write(true, db -> {
            int n = db.update("UPDATE datasets SET overlap = ?, gold_rate = ?, lease_ms = ?, rating_flags = ? WHERE id = ?",
                    s.overlap(), s.goldRate(), s.leaseTimeout().toMillis(), codec.write(s.ratingFlags()), datasetId);
            if (n == 0) throw FeedbackException.notFound("dataset " + datasetId);
            // the open-task index reads each task's copy of the overlap (migration V2)
            db.update("UPDATE tasks SET overlap = ? WHERE dataset_id = ? AND overlap <> ?", s.overlap(), datasetId, s.overlap());
            return requireDataset(db, datasetId);
        });
        datasetSettings.forget(datasetId);
        return updated;
    }

    private Dataset requireDataset(Tx db, long id) throws SQLException {
        return db.one(this::mapDataset, "SELECT " + DATASET_COLS + " FROM datasets WHERE id = ?", id)
                .orElseThrow(() -> FeedbackException.notFound("dataset " + id));
    }

    /** The dataset, at most a second old (hot path: settings only). */
    private Dataset recentDataset(Tx db, long id) throws SQLException {
        return datasetSettings.get(id, k -> db.one(this::mapDataset, "SELECT " + DATASET_COLS + " FROM datasets WHERE id = ?", k))
                .orElseThrow(() -> FeedbackException.notFound("dataset " + id));
    }

    // ------------------------------------------------------------------ annotators and tokens

    @Override
    public Annotator createAnnotator(String name, AnnotatorKind kind) {
        return write(false, db -> insertAnnotator(db, name, kind));
    }

    private Annotator insertAnnotator(Tx db, String name, AnnotatorKind kind) throws SQLException {
        Annotator probe = new Annotator(0, name, kind, Instant.ofEpochMilli(now()));
        if (db.one(JdbcFeedbackStore::mapAnnotator, "SELECT " + ANNOTATOR_COLS + " FROM annotators WHERE name = ?", name).isPresent())
            throw FeedbackException.conflict("an annotator named '" + name + "' already exists");
        long id = db.insert("INSERT INTO annotators (name, kind, created_at) VALUES (?, ?, ?)", name, kind.wireName(),
                probe.createdAt().toEpochMilli());
        return new Annotator(id, name, kind, probe.createdAt());
    }

    @Override
    public Annotator ensureAnnotator(String name, AnnotatorKind kind) {
        return write(true, db -> ensureAnnotator(db, name, kind));
    }

    private Annotator ensureAnnotator(Tx db, String name, AnnotatorKind kind) throws SQLException {
        Optional<Annotator> a = db.one(JdbcFeedbackStore::mapAnnotator, "SELECT " + ANNOTATOR_COLS + " FROM annotators WHERE name = ?", name);
        return a.isPresent() ? a.get() : insertAnnotator(db, name, kind);
    }

    @Override
    public Optional<Annotator> annotator(long id) {
        return read(db -> db.one(JdbcFeedbackStore::mapAnnotator, "SELECT " + ANNOTATOR_COLS + " FROM annotators WHERE id = ?", id));
    }

    @Override
    public Optional<Annotator> annotatorByName(String name) {
        return read(db -> db.one(JdbcFeedbackStore::mapAnnotator, "SELECT " + ANNOTATOR_COLS + " FROM annotators WHERE name = ?", name));
    }

    @Override
    public List<Annotator> annotators() {
        return read(db -> db.list(JdbcFeedbackStore::mapAnnotator, "SELECT " + ANNOTATOR_COLS + " FROM annotators ORDER BY id"));
    }

    private Annotator requireAnnotator(Tx db, long id) throws SQLException {
        return db.one(JdbcFeedbackStore::mapAnnotator, "SELECT " + ANNOTATOR_COLS + " FROM annotators WHERE id = ?", id)
                .orElseThrow(() -> FeedbackException.notFound("annotator " + id));
    }

    @Override
    public String issueToken(long annotatorId, String label) {
        byte[] raw = new byte[32];
        tokenRandom.nextBytes(raw);
        String token = HexFormat.of().formatHex(raw);
        write(false, db -> {
            requireAnnotator(db, annotatorId);
            return db.insert("INSERT INTO api_tokens (annotator_id, token_sha256, label, created_at) VALUES (?, ?, ?, ?)",
                    annotatorId, sha256Hex(token), label == null ? "" : label, now());
        });
        return token;
    }

    @Override
    public Optional<Annotator> authenticate(String token) {
        if (token == null || !token.matches("[0-9a-fA-F]{64}")) return Optional.empty();
        String hash = sha256Hex(token.toLowerCase(java.util.Locale.ROOT));
        return read(db -> db.one(JdbcFeedbackStore::mapAnnotator,
                "SELECT a.id, a.name, a.kind, a.created_at FROM api_tokens t JOIN annotators a ON a.id = t.annotator_id "
                        + "WHERE t.token_sha256 = ? AND t.revoked_at IS NULL", hash));
    }

    @Override
    public int revokeTokens(long annotatorId) {
        return write(true, db -> db.update("UPDATE api_tokens SET revoked_at = ? WHERE annotator_id = ? AND revoked_at IS NULL",
                now(), annotatorId));
    }

    // ------------------------------------------------------------------ content

    @Override
    public Prompt addPrompt(long datasetId, String text, String groupKey, String source) {
        return write(false, db -> new ConnWriter(db).insertPrompt(datasetId, text, groupKey, source));
    }

    @Override
    public Response addResponse(long promptId, String text, Response.ModelInfo model) {
        return write(false, db -> new ConnWriter(db).insertResponse(promptId, text, model));
    }

    @Override
    public Task addTask(long datasetId, NewTask task) {
        return write(false, db -> new ConnWriter(db).insertTask(datasetId, task));
    }

    @Override
    public Optional<Prompt> findPrompt(long datasetId, String text) {
        return read(db -> new ConnWriter(db).selectPrompt(datasetId, text));
    }

    @Override
    public Optional<Response> findResponse(long promptId, String text) {
        return read(db -> new ConnWriter(db).selectResponse(promptId, text));
    }

    @Override
    public boolean hasJudgement(long annotatorId, String clientId) {
        return read(db -> db.count("SELECT COUNT(*) FROM judgements WHERE annotator_id = ? AND client_id = ?", annotatorId, clientId) > 0);
    }

    @Override
    public Judgement addJudgement(long taskId, long annotatorId, String clientId, JudgementPayload payload, Instant createdAt,
                                  long durationMillis, Double confidence) {
        return write(false, db -> new ConnWriter(db).insertJudgement(taskId, annotatorId, clientId, payload, createdAt, durationMillis, confidence));
    }

    @Override
    public <T> T batch(Function<BatchWriter, T> work) {
        return write(false, db -> work.apply(new ConnWriter(db)));
    }

    @Override
    public Optional<Prompt> prompt(long id) {
        return read(db -> db.one(JdbcFeedbackStore::mapPrompt, "SELECT " + PROMPT_COLS + " FROM prompts WHERE id = ?", id));
    }

    @Override
    public List<Prompt> prompts(long datasetId) {
        return read(db -> db.list(JdbcFeedbackStore::mapPrompt, "SELECT " + PROMPT_COLS + " FROM prompts WHERE dataset_id = ? ORDER BY id", datasetId));
    }

    @Override
    public Optional<Response> response(long id) {
        return read(db -> db.one(this::mapResponse, "SELECT " + RESPONSE_COLS + " FROM responses WHERE id = ?", id));
    }

    @Override
    public List<Response> responses(long promptId) {
        return read(db -> db.list(this::mapResponse, "SELECT " + RESPONSE_COLS + " FROM responses WHERE prompt_id = ? ORDER BY id", promptId));
    }

    @Override
    public List<Response> responsesInDataset(long datasetId) {
        return read(db -> db.list(this::mapResponse, "SELECT r.id, r.prompt_id, r.text, r.model_id, r.model_version, r.generation_settings, "
                + "r.created_at FROM responses r JOIN prompts p ON p.id = r.prompt_id WHERE p.dataset_id = ? ORDER BY r.id", datasetId));
    }

    @Override
    public Optional<Task> task(long id) {
        return read(db -> db.one(this::mapTask, "SELECT " + TASK_COLS + " FROM tasks WHERE id = ?", id));
    }

    @Override
    public List<Task> tasks(long datasetId) {
        return read(db -> db.list(this::mapTask, "SELECT " + TASK_COLS + " FROM tasks WHERE dataset_id = ? ORDER BY id", datasetId));
    }

    @Override
    public void setPriority(long taskId, int priority) {
        setPriorities(Map.of(taskId, priority));
    }

    @Override
    public void setPriorities(Map<Long, Integer> priorities) {
        if (priorities.isEmpty()) return;
        write(true, db -> {
            for (Map.Entry<Long, Integer> e : new java.util.TreeMap<>(priorities).entrySet()) // id order: no deadlocks between callers
                if (db.update("UPDATE tasks SET priority = ? WHERE id = ?", e.getValue(), e.getKey()) == 0)
                    throw FeedbackException.notFound("task " + e.getKey());
            return null;
        });
    }

    private Task requireTask(Tx db, long id) throws SQLException {
        return db.one(this::mapTask, "SELECT " + TASK_COLS + " FROM tasks WHERE id = ?", id)
                .orElseThrow(() -> FeedbackException.notFound("task " + id));
    }

    /** Content writes bound to one connection (and so to one transaction). */
    private final class ConnWriter implements BatchWriter {
        private final Tx db;

        ConnWriter(Tx db) { this.db = db; }

        @Override public Dataset ensureDataset(String name, String description, DatasetSettings settings) {
            try { return JdbcFeedbackStore.this.ensureDataset(db, name, description, settings); } catch (SQLException e) { throw new SqlFailure(e); }
        }

        @Override public Annotator ensureAnnotator(String name, AnnotatorKind kind) {
            try { return JdbcFeedbackStore.this.ensureAnnotator(db, name, kind); } catch (SQLException e) { throw new SqlFailure(e); }
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
                return db.count("SELECT COUNT(*) FROM judgements WHERE annotator_id = ? AND client_id = ?", annotatorId, clientId) > 0;
            } catch (SQLException e) { throw new SqlFailure(e); }
        }

        @Override public Judgement addJudgement(long taskId, long annotatorId, String clientId, JudgementPayload payload,
                                                Instant createdAt, long durationMillis, Double confidence) {
            try {
                return insertJudgement(taskId, annotatorId, clientId, payload, createdAt, durationMillis, confidence);
            } catch (SQLException e) { throw new SqlFailure(e); }
        }

        Prompt insertPrompt(long datasetId, String text, String groupKey, String source) throws SQLException {
            requireDataset(db, datasetId);
            Prompt p = new Prompt(0, datasetId, text, groupKey, source, Instant.ofEpochMilli(now()));
            long id = db.insert("INSERT INTO prompts (dataset_id, text, text_sha256, group_key, source, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                    datasetId, text, sha256Hex(text), groupKey, source, p.createdAt().toEpochMilli());
            return new Prompt(id, datasetId, text, groupKey, source, p.createdAt());
        }

        Response insertResponse(long promptId, String text, Response.ModelInfo model) throws SQLException {
            Response r = new Response(0, promptId, text, model == null ? Response.ModelInfo.unknown() : model, Instant.ofEpochMilli(now()));
            if (db.count("SELECT COUNT(*) FROM prompts WHERE id = ?", promptId) == 0) throw FeedbackException.notFound("prompt " + promptId);
            long id = db.insert("INSERT INTO responses (prompt_id, text, text_sha256, model_id, model_version, generation_settings, created_at) "
                            + "VALUES (?, ?, ?, ?, ?, ?, ?)", promptId, text, sha256Hex(text), r.model().modelId(), r.model().modelVersion(),
                    codec.write(r.model().generationSettings()), r.createdAt().toEpochMilli());
            return new Response(id, promptId, text, r.model(), r.createdAt());
        }

        Task insertTask(long datasetId, NewTask t) throws SQLException {
            Dataset dataset = requireDataset(db, datasetId);
            Prompt p = db.one(JdbcFeedbackStore::mapPrompt, "SELECT " + PROMPT_COLS + " FROM prompts WHERE id = ?", t.promptId())
                    .orElseThrow(() -> FeedbackException.notFound("prompt " + t.promptId()));
            if (p.datasetId() != datasetId) throw FeedbackException.invalid("prompt " + p.id() + " is not in dataset " + datasetId);
            for (long rid : t.responseIds()) {
                long owner = db.count("SELECT COALESCE(MAX(prompt_id), -1) FROM responses WHERE id = ?", rid);
                if (owner == -1) throw FeedbackException.notFound("response " + rid);
                if (owner != p.id()) throw FeedbackException.invalid("response " + rid + " does not answer prompt " + p.id());
            }
            long created = now();
            boolean gold = t.goldAnswer() != null;
            long id = db.insert("INSERT INTO tasks (dataset_id, prompt_id, kind, response_ids, priority, gold, gold_answer, slots_taken, "
                            + "judgement_count, created_at, overlap) VALUES (?, ?, ?, ?, ?, ?, ?, 0, 0, ?, ?)", datasetId, p.id(),
                    t.kind().wireName(), encodeIds(t.responseIds()), t.priority(), gold, gold ? codec.toJson(t.goldAnswer()) : null, created,
                    dataset.settings().overlap());
            return new Task(id, datasetId, p.id(), t.kind(), t.responseIds(), t.priority(), gold, t.goldAnswer(), 0, Instant.ofEpochMilli(created));
        }

        Optional<Prompt> selectPrompt(long datasetId, String text) throws SQLException {
            return db.list(JdbcFeedbackStore::mapPrompt, "SELECT " + PROMPT_COLS + " FROM prompts WHERE dataset_id = ? AND text_sha256 = ? ORDER BY id",
                    datasetId, sha256Hex(text)).stream().filter(p -> p.text().equals(text)).findFirst();
        }

        Optional<Response> selectResponse(long promptId, String text) throws SQLException {
            return db.list(JdbcFeedbackStore.this::mapResponse, "SELECT " + RESPONSE_COLS + " FROM responses WHERE prompt_id = ? AND text_sha256 = ? "
                    + "ORDER BY id", promptId, sha256Hex(text)).stream().filter(r -> r.text().equals(text)).findFirst();
        }

        Judgement insertJudgement(long taskId, long annotatorId, String clientId, JudgementPayload payload, Instant createdAt,
                                  long durationMillis, Double confidence) throws SQLException {
            Task task = requireTask(db, taskId);
            Annotator who = requireAnnotator(db, annotatorId);
            Dataset dataset = requireDataset(db, task.datasetId());
            if (db.count("SELECT COUNT(*) FROM judgements WHERE annotator_id = ? AND client_id = ?", annotatorId, clientId) > 0)
                throw FeedbackException.conflict("annotator " + annotatorId + " already used client id '" + clientId + "'");
            if (db.count("SELECT COUNT(*) FROM judgements WHERE annotator_id = ? AND task_id = ?", annotatorId, taskId) > 0)
                throw FeedbackException.conflict("annotator " + annotatorId + " already judged task " + taskId);
            Shown shown = shownFor(db, task, task.responseIds());
            Judgement j = storeJudgement(db, task, dataset, annotatorId, null, clientId, payload, shown, createdAt.toEpochMilli(),
                    durationMillis, confidence);
            // An AI judge's label sits beside the people's: it takes no overlap slot and is not counted in
            // judgement_count, so the task stays in the people's queue exactly as before.
            if (who.kind() != AnnotatorKind.AI_JUDGE)
                db.update("UPDATE tasks SET judgement_count = judgement_count + 1, slots_taken = slots_taken + ? WHERE id = ?",
                        task.gold() ? 0 : 1, taskId);
            return j;
        }
    }

    /** What is shown for a task in the given order. */
    private Shown shownFor(Tx db, Task task, List<Long> order) throws SQLException {
        Prompt p = cachedPrompt(db, task.promptId());
        List<String> texts = new ArrayList<>();
        for (Response r : responsesInOrder(db, task.promptId(), order)) texts.add(r.text());
        return new Shown(p.text(), order, texts);
    }

    private Prompt cachedPrompt(Tx db, long id) throws SQLException {
        return prompts.get(id, k -> db.one(JdbcFeedbackStore::mapPrompt, "SELECT " + PROMPT_COLS + " FROM prompts WHERE id = ?", k))
                .orElseThrow(() -> FeedbackException.notFound("prompt " + id));
    }

    /**
     * The responses with these ids, in this order, from the cache; on a miss all responses of the prompt are read in
     * one query (the prompt's other tasks will want them too).
     */
    private List<Response> responsesInOrder(Tx db, long promptId, List<Long> order) throws SQLException {
        List<Response> out = new ArrayList<>(order.size());
        for (long id : order) {
            Response r = responses.peek(id);
            if (r == null) {
                for (Response x : db.list(this::mapResponse, "SELECT " + RESPONSE_COLS + " FROM responses WHERE prompt_id = ?", promptId))
                    responses.put(x.id(), x);
                r = responses.get(id, k -> db.one(this::mapResponse, "SELECT " + RESPONSE_COLS + " FROM responses WHERE id = ?", k))
                        .orElseThrow(() -> FeedbackException.notFound("response " + id));
            }
            out.add(r);
        }
        return out;
    }

    /**
     * NOT_FOUND for an unknown annotator. On PostgreSQL it also takes the annotator's row lock, so one annotator's
     * concurrent nextTask calls (two browser tabs) run one after the other; on SQLite all writes are serialised anyway.
     */
    private void lockAnnotator(Tx db, long annotatorId) throws SQLException {
        if (dialect == Dialect.POSTGRESQL) {
            if (db.one(rs -> rs.getLong(1), "SELECT id FROM annotators WHERE id = ? FOR UPDATE", annotatorId).isEmpty())
                throw FeedbackException.notFound("annotator " + annotatorId);
            knownAnnotators.add(annotatorId);
            return;
        }
        requireKnownAnnotator(db, annotatorId);
    }

    /** NOT_FOUND for an unknown annotator; known ones are remembered (annotators are never deleted). */
    private void requireKnownAnnotator(Tx db, long annotatorId) throws SQLException {
        if (knownAnnotators.contains(annotatorId)) return;
        if (db.count("SELECT COUNT(*) FROM annotators WHERE id = ?", annotatorId) == 0)
            throw FeedbackException.notFound("annotator " + annotatorId);
        knownAnnotators.add(annotatorId);
    }

    /** Checks a payload against its task and dataset, then inserts it. Does not touch the task's counters. */
    private Judgement storeJudgement(Tx db, Task task, Dataset dataset, long annotatorId, Long assignmentId, String clientId,
                                     JudgementPayload payload, Shown shown, long createdAt, long durationMillis, Double confidence)
            throws SQLException {
        checkPayload(task, dataset, payload);
        JudgementPayload canonical = payload.inOrder(shown.responseIds(), task.responseIds());
        Boolean goldCorrect = task.gold() ? GoldCheck.matches(task.goldAnswer(), canonical) : null;
        Judgement j = new Judgement(0, task.datasetId(), task.id(), annotatorId, assignmentId, clientId, payload, shown,
                Instant.ofEpochMilli(createdAt), durationMillis, confidence, goldCorrect);
        long id = db.insert("INSERT INTO judgements (dataset_id, task_id, annotator_id, assignment_id, client_id, kind, payload, shown, "
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

    /**
     * Takes a slot of the first open non-gold task this annotator was never given, in serving order (index
     * {@code tasks_open}, V2), and returns that task: the pick and the guarded slot update in one statement.
     * {@code rowLock} is the dialect's row-locking suffix for the pick (PostgreSQL; empty on SQLite).
     */
    String takeOpenTaskSql(String rowLock) {
        return "UPDATE tasks SET slots_taken = slots_taken + 1 WHERE id = ("
                + "SELECT t.id FROM tasks t WHERE t.dataset_id = ? AND t.gold = 0 AND t.slots_taken < t.overlap "
                + "AND NOT EXISTS (SELECT 1 FROM assignments a WHERE a.task_id = t.id AND a.annotator_id = ?) "
                + "AND NOT EXISTS (SELECT 1 FROM judgements j WHERE j.task_id = t.id AND j.annotator_id = ?) "
                + "ORDER BY t.priority DESC, t.id LIMIT 1" + rowLock + ") AND slots_taken < overlap RETURNING " + TASK_COLS;
    }

    /** Store-clock time of the last reclaim per dataset (see {@link #reclaimIfDue}). */
    private final java.util.concurrent.ConcurrentHashMap<Long, Long> lastReclaim = new java.util.concurrent.ConcurrentHashMap<>();
    private static final long RECLAIM_INTERVAL_MILLIS = 1_000;

    /**
     * Reclaims the dataset's expired leases if that was last done a second or more ago (by the store's clock): a
     * lease is returned to the queue within a second of expiring, and {@code nextTask} does not pay for the
     * (nearly always empty) search on every call. When the queue looks empty, nextTask reclaims regardless.
     */
    private int reclaimIfDue(Tx db, long datasetId, long now) throws SQLException {
        Long last = lastReclaim.get(datasetId);
        if (last != null && now - last < RECLAIM_INTERVAL_MILLIS && now >= last) return 0;
        lastReclaim.put(datasetId, now);
        return reclaim(db, datasetId, now);
    }

    @Override
    public Optional<AssignedTask> nextTask(long annotatorId, long datasetId) {
        return hot(db -> {
            lockAnnotator(db, annotatorId);
            Dataset dataset = recentDataset(db, datasetId);
            long now = now();
            // the annotator's live lease, if any (a page reload): probe by id, read the row only when there is one
            Optional<Long> liveId = db.one(rs -> rs.getLong(1), "SELECT id FROM assignments "
                    + "WHERE annotator_id = ? AND dataset_id = ? AND state = 'leased' AND expires_at > ? ORDER BY id", annotatorId, datasetId, now);
            if (liveId.isPresent()) {
                Assignment live = db.one(JdbcFeedbackStore::mapAssignment, "SELECT " + ASSIGNMENT_COLS + " FROM assignments WHERE id = ?",
                        liveId.get()).orElseThrow();
                return Optional.of(assemble(db, live, dataset, requireTask(db, live.taskId())));
            }
            reclaimIfDue(db, datasetId, now);

            Task chosen = null;
            if (dataset.settings().goldRate() > 0 && random.nextDouble() < dataset.settings().goldRate()) {
                List<Task> gold = db.list(JdbcFeedbackStore.this::mapTask, "SELECT " + TASK_COLS + " FROM tasks t WHERE t.dataset_id = ? AND t.gold = 1 "
                        + "AND NOT EXISTS (SELECT 1 FROM assignments a WHERE a.task_id = t.id AND a.annotator_id = ?) "
                        + "AND NOT EXISTS (SELECT 1 FROM judgements j WHERE j.task_id = t.id AND j.annotator_id = ?) "
                        + "ORDER BY t.id LIMIT 50", datasetId, annotatorId, annotatorId);
                if (!gold.isEmpty()) chosen = gold.get(random.nextInt(gold.size()));
            }
            // Read-then-write made atomic: on SQLite the transaction holds the database's write lock from BEGIN
            // IMMEDIATE on (other connections and processes wait); on PostgreSQL the pick locks its row, skipping rows
            // that concurrent callers are taking (SKIP LOCKED), and the guarded UPDATE re-checks the slot, so a task
            // never exceeds its overlap.
            if (chosen == null) chosen = db.one(this::mapTask, takeSkippingLocked, datasetId, annotatorId, annotatorId).orElse(null);
            if (chosen == null && takeWaiting != null) // the rows left may all be locked by callers who leave a slot
                chosen = db.one(this::mapTask, takeWaiting, datasetId, annotatorId, annotatorId).orElse(null);
            if (chosen == null && reclaim(db, datasetId, now) > 0) // looks empty: expired leases may free a slot
                chosen = db.one(this::mapTask, takeWaiting != null ? takeWaiting : takeSkippingLocked, datasetId, annotatorId, annotatorId)
                        .orElse(null);
            if (chosen == null) return Optional.<AssignedTask>empty();
            List<Long> order = new ArrayList<>(chosen.responseIds());
            for (int i = order.size() - 1; i > 0; i--) java.util.Collections.swap(order, i, random.nextInt(i + 1));
            long expires = now + dataset.settings().leaseTimeout().toMillis();
            long id = db.insert("INSERT INTO assignments (task_id, annotator_id, dataset_id, shown_order, state, leased_at, expires_at) "
                    + "VALUES (?, ?, ?, ?, 'leased', ?, ?)", chosen.id(), annotatorId, datasetId, encodeIds(order), now, expires);
            Assignment a = new Assignment(id, chosen.id(), annotatorId, datasetId, order, Assignment.State.LEASED,
                    Instant.ofEpochMilli(now), Instant.ofEpochMilli(expires));
            return Optional.of(assemble(db, a, dataset, chosen));
        });
    }

    private AssignedTask assemble(Tx db, Assignment a, Dataset dataset, Task task) throws SQLException {
        return new AssignedTask(a, task, cachedPrompt(db, task.promptId()), responsesInOrder(db, task.promptId(), a.shownOrder()),
                dataset.settings().ratingFlags());
    }

    /** Expires overdue leases (of one dataset, or all when datasetId is null) and frees their slots. */
    private int reclaim(Tx db, Long datasetId, long now) throws SQLException {
        List<Assignment> overdue = datasetId == null
                ? db.list(JdbcFeedbackStore::mapAssignment, "SELECT " + ASSIGNMENT_COLS + " FROM assignments WHERE state = 'leased' "
                        + "AND expires_at <= ? ORDER BY id", now)
                : db.list(JdbcFeedbackStore::mapAssignment, "SELECT " + ASSIGNMENT_COLS + " FROM assignments WHERE dataset_id = ? "
                        + "AND state = 'leased' AND expires_at <= ? ORDER BY id", datasetId, now);
        int n = 0;
        for (Assignment a : overdue) {
            if (db.update("UPDATE assignments SET state = 'expired' WHERE id = ? AND state = 'leased'", a.id()) == 1) {
                db.update("UPDATE tasks SET slots_taken = slots_taken - 1 WHERE id = ? AND gold = 0", a.taskId());
                n++;
            }
        }
        return n;
    }

    @Override
    public int reclaimExpiredLeases() {
        return hot(db -> reclaim(db, null, now()));
    }

    @Override
    public AssignedTask assignment(long assignmentId, long annotatorId) {
        return read(db -> {
            Assignment a = requireOwnAssignment(db, assignmentId, annotatorId);
            return assemble(db, a, requireDataset(db, a.datasetId()), requireTask(db, a.taskId()));
        });
    }

    private Assignment requireOwnAssignment(Tx db, long assignmentId, long annotatorId) throws SQLException {
        Assignment a = db.one(JdbcFeedbackStore::mapAssignment, "SELECT " + ASSIGNMENT_COLS + " FROM assignments WHERE id = ?", assignmentId)
                .orElseThrow(() -> FeedbackException.notFound("assignment " + assignmentId));
        if (a.annotatorId() != annotatorId)
            throw FeedbackException.forbidden("assignment " + assignmentId + " belongs to another annotator");
        return a;
    }

    @Override
    public void release(long assignmentId, long annotatorId) {
        hot(db -> {
            Assignment a = requireOwnAssignment(db, assignmentId, annotatorId);
            if (a.state() == Assignment.State.SUBMITTED) throw FeedbackException.conflict("assignment " + assignmentId + " was already answered");
            if (db.update("UPDATE assignments SET state = 'released' WHERE id = ? AND state = 'leased'", assignmentId) == 1)
                db.update("UPDATE tasks SET slots_taken = slots_taken - 1 WHERE id = ? AND gold = 0", a.taskId());
            return null;
        });
    }

    // ------------------------------------------------------------------ judgements

    @Override
    public SubmitResult submit(long annotatorId, Submission s) {
        return hot(db -> {
            // No annotator row lock needed here: a concurrent double submit is settled by the guarded assignment
            // update and the unique constraints (the loser is retried and sees the winner's judgement).
            requireKnownAnnotator(db, annotatorId);
            // A narrow probe first: nearly always nothing is found, and sqlite-jdbc fetches every column name of
            // every result set, so the full row is read only for an actual repeat.
            Optional<Judgement> earlier = db.one(rs -> rs.getLong(1), "SELECT id FROM judgements WHERE annotator_id = ? AND client_id = ?",
                    annotatorId, s.clientId()).isEmpty() ? Optional.empty()
                    : db.one(this::mapJudgement, "SELECT " + JUDGEMENT_COLS + " FROM judgements WHERE annotator_id = ? AND client_id = ?",
                            annotatorId, s.clientId());
            if (earlier.isPresent()) {
                if (!Long.valueOf(s.assignmentId()).equals(earlier.get().assignmentId()))
                    throw FeedbackException.conflict("client id '" + s.clientId() + "' was already used for another submission (judgement "
                            + earlier.get().id() + ")");
                return new SubmitResult(earlier.get(), true);
            }
            // the assignment and its task in one read
            Object[] at = db.one(rs -> new Object[] {mapAssignment(rs), mapTask(rs, ASSIGNMENT_COLUMNS)}, "SELECT " + ASSIGNMENT_COLS_A
                    + ", " + TASK_COLS_T + " FROM assignments a JOIN tasks t ON t.id = a.task_id WHERE a.id = ?", s.assignmentId())
                    .orElseThrow(() -> FeedbackException.notFound("assignment " + s.assignmentId()));
            Assignment a = (Assignment) at[0];
            if (a.annotatorId() != annotatorId)
                throw FeedbackException.forbidden("assignment " + a.id() + " belongs to another annotator");
            if (a.state() == Assignment.State.SUBMITTED) {
                // Without a row lock (PostgreSQL, READ COMMITTED) the same submission may have been committed by a
                // concurrent call between the client-id lookup above and this read: look again before calling it a
                // conflict.
                Optional<Judgement> same = db.one(this::mapJudgement, "SELECT " + JUDGEMENT_COLS + " FROM judgements "
                        + "WHERE annotator_id = ? AND client_id = ?", annotatorId, s.clientId());
                if (same.isPresent() && Long.valueOf(a.id()).equals(same.get().assignmentId())) return new SubmitResult(same.get(), true);
                throw FeedbackException.conflict("assignment " + a.id() + " was already answered with another client id");
            }
            Task task = (Task) at[1];
            Dataset dataset = recentDataset(db, task.datasetId());
            Shown shown = shownFor(db, task, a.shownOrder());
            Judgement j = storeJudgement(db, task, dataset, annotatorId, a.id(), s.clientId(), s.payload(), shown, now(),
                    s.durationMillis(), s.confidence());
            if (db.update("UPDATE assignments SET state = 'submitted' WHERE id = ? AND state = ?", a.id(), a.state().wireName()) != 1)
                throw new SQLException("assignment " + a.id() + " changed concurrently", "40001");
            // A late answer on an expired or released lease takes its slot back.
            int slot = a.state() == Assignment.State.LEASED || task.gold() ? 0 : 1;
            db.update("UPDATE tasks SET judgement_count = judgement_count + 1, slots_taken = slots_taken + ? WHERE id = ?", slot, task.id());
            return new SubmitResult(j, false);
        });
    }

    @Override
    public Optional<Judgement> judgement(long id) {
        return read(db -> db.one(this::mapJudgement, "SELECT " + JUDGEMENT_COLS + " FROM judgements WHERE id = ?", id));
    }

    @Override
    public List<Judgement> judgements(long datasetId) {
        return read(db -> db.list(this::mapJudgement, "SELECT " + JUDGEMENT_COLS + " FROM judgements WHERE dataset_id = ? ORDER BY id", datasetId));
    }

    @Override
    public List<Judgement> judgementsForTask(long taskId) {
        return read(db -> db.list(this::mapJudgement, "SELECT " + JUDGEMENT_COLS + " FROM judgements WHERE task_id = ? ORDER BY id", taskId));
    }

    @Override
    public List<Judgement> judgementsBy(long annotatorId) {
        return read(db -> db.list(this::mapJudgement, "SELECT " + JUDGEMENT_COLS + " FROM judgements WHERE annotator_id = ? ORDER BY id", annotatorId));
    }

    // ------------------------------------------------------------------ summaries

    @Override
    public List<DatasetSummary> datasetSummaries() {
        return read(db -> {
            List<DatasetSummary> out = new ArrayList<>();
            for (Dataset d : db.list(this::mapDataset, "SELECT " + DATASET_COLS + " FROM datasets ORDER BY id")) {
                int overlap = d.settings().overlap();
                int[] counts = db.one(rs -> new int[] {rs.getInt(1), rs.getInt(2), rs.getInt(3), rs.getInt(4)}, "SELECT "
                        + "SUM(CASE WHEN gold = 0 AND judgement_count = 0 AND slots_taken = 0 THEN 1 ELSE 0 END), "
                        + "SUM(CASE WHEN gold = 0 AND judgement_count < ? AND (judgement_count > 0 OR slots_taken > 0) THEN 1 ELSE 0 END), "
                        + "SUM(CASE WHEN gold = 0 AND judgement_count >= ? THEN 1 ELSE 0 END), "
                        + "SUM(CASE WHEN gold = 1 THEN 1 ELSE 0 END) FROM tasks WHERE dataset_id = ?", overlap, overlap, d.id()).orElseThrow();
                int prompts = (int) db.count("SELECT COUNT(*) FROM prompts WHERE dataset_id = ?", d.id());
                int all = (int) db.count("SELECT COUNT(*) FROM judgements WHERE dataset_id = ?", d.id());
                int ai = (int) db.count("SELECT COUNT(*) FROM judgements j JOIN annotators a ON a.id = j.annotator_id "
                        + "WHERE j.dataset_id = ? AND a.kind = ?", d.id(), AnnotatorKind.AI_JUDGE.wireName());
                out.add(new DatasetSummary(d, prompts, counts[0], counts[1], counts[2], counts[3], all - ai, ai));
            }
            return out;
        });
    }
}
