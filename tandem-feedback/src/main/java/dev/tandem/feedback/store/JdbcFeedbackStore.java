package dev.tandem.feedback.store;

/** JDBC implementation of {@link FeedbackStore} for SQLite and PostgreSQL. (Implementation in progress.) */
public abstract class JdbcFeedbackStore implements FeedbackStore {
    /** Opens (and migrates) the store at {@code config.jdbcUrl()}. */
    public static FeedbackStore open(StoreConfig config) {
        throw new UnsupportedOperationException("in progress");
    }

    /** Opens the store at this JDBC URL with default settings. */
    public static FeedbackStore open(String jdbcUrl) {
        return open(StoreConfig.of(jdbcUrl));
    }
}
