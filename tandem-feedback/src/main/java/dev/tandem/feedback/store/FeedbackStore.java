package dev.tandem.feedback.store;

import dev.tandem.feedback.Annotator;
import dev.tandem.feedback.AnnotatorKind;
import dev.tandem.feedback.AssignedTask;
import dev.tandem.feedback.Dataset;
import dev.tandem.feedback.DatasetSettings;
import dev.tandem.feedback.Judgement;
import dev.tandem.feedback.Prompt;
import dev.tandem.feedback.Response;
import dev.tandem.feedback.SubmitResult;
import dev.tandem.feedback.Submission;
import dev.tandem.feedback.Task;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * The durable human-feedback store. Thread-safe; one instance per process and database.
 *
 * <p>Every method that writes commits before it returns: once {@link #submit} returns, the judgement survives a
 * {@code kill -9} of the process. Methods throw {@link dev.tandem.feedback.FeedbackException} for requests that
 * cannot be done (unknown id, wrong annotator, invalid payload), {@link IllegalArgumentException} for malformed
 * arguments and {@link dev.tandem.feedback.StorageException} when the database fails.
 *
 * <p>Open with {@link JdbcFeedbackStore#open(StoreConfig)} (SQLite or PostgreSQL, migrations run on open).
 */
public interface FeedbackStore extends AutoCloseable, BatchWriter {

    // ---- datasets ----

    /** Creates a dataset; CONFLICT if the name is taken. */
    Dataset createDataset(String name, String description, DatasetSettings settings);

    /** The named dataset, creating it with these settings if absent (settings of an existing one are left as they are). */
    Dataset ensureDataset(String name, String description, DatasetSettings settings);

    Optional<Dataset> dataset(long id);

    Optional<Dataset> datasetByName(String name);

    /** All datasets, by id. */
    List<Dataset> datasets();

    /** Replaces a dataset's settings (overlap, gold rate, lease timeout, flags); returns the updated dataset. */
    Dataset updateSettings(long datasetId, DatasetSettings settings);

    // ---- annotators and tokens ----

    /** Creates an annotator; CONFLICT if the name is taken. */
    Annotator createAnnotator(String name, AnnotatorKind kind);

    /** The named annotator, creating it with this kind if absent. */
    Annotator ensureAnnotator(String name, AnnotatorKind kind);

    Optional<Annotator> annotator(long id);

    Optional<Annotator> annotatorByName(String name);

    List<Annotator> annotators();

    /**
     * Issues a new API token for an annotator and returns it in clear text (64 hex characters from 32 random bytes).
     * Only its SHA-256 is stored, so this is the only time it can be read.
     */
    String issueToken(long annotatorId, String label);

    /** The annotator a valid, unrevoked token belongs to; empty for unknown or revoked tokens. */
    Optional<Annotator> authenticate(String token);

    /** Revokes all tokens of an annotator; returns how many were revoked. */
    int revokeTokens(long annotatorId);

    // ---- content (single writes; see BatchWriter for the methods and batch() for many in one transaction) ----

    Optional<Prompt> prompt(long id);

    List<Prompt> prompts(long datasetId);

    Optional<Response> response(long id);

    /** Responses of one prompt, by id. */
    List<Response> responses(long promptId);

    /** All responses of a dataset's prompts, by id. */
    List<Response> responsesInDataset(long datasetId);

    Optional<Task> task(long id);

    /** All tasks of a dataset (gold included), by id. */
    List<Task> tasks(long datasetId);

    /** Sets a task's priority (higher is served first). NOT_FOUND for an unknown task. */
    void setPriority(long taskId, int priority);

    /**
     * Sets the priorities of many tasks (task id to priority) in one transaction: all or none. NOT_FOUND for an
     * unknown task (nothing is changed then).
     */
    void setPriorities(java.util.Map<Long, Integer> priorities);

    /**
     * Runs {@code work} in one transaction and commits it, or rolls everything back if it throws.
     * Used by importers: either all records are stored or none. The writer must not escape {@code work}.
     */
    <T> T batch(Function<BatchWriter, T> work);

    // ---- assignment ----

    /**
     * Leases the next task of the dataset to the annotator, or empty when nothing is left for them.
     *
     * <ul>
     *   <li>If the annotator already holds an unexpired lease in this dataset, that same assignment is returned
     *       (page reloads don't burn tasks).</li>
     *   <li>Expired leases in the dataset are reclaimed first (the search for them runs at most once a second per
     *       dataset, and always before answering that nothing is left: a lease returns within a second of expiry).</li>
     *   <li>With probability {@code goldRate} an unseen gold task is served (if any); otherwise the non-gold task with
     *       the highest priority (then lowest id) that has fewer than {@code overlap} judgements-or-leases and that this
     *       annotator has never been assigned.</li>
     *   <li>The display order of the responses is drawn at random and stored in the assignment.</li>
     * </ul>
     * Safe under concurrent callers: a task never gets more than {@code overlap} live leases plus judgements, and an
     * annotator never gets the same task twice.
     */
    Optional<AssignedTask> nextTask(long annotatorId, long datasetId);

    /** Re-reads a lease (e.g. to re-render it); NOT_FOUND if unknown, FORBIDDEN if it is someone else's. */
    AssignedTask assignment(long assignmentId, long annotatorId);

    /** Gives a leased task back (skip); its slot returns to the queue. The annotator will not get it again. */
    void release(long assignmentId, long annotatorId);

    /** Marks all leases past their expiry as expired and returns their slots; returns how many. */
    int reclaimExpiredLeases();

    // ---- judgements ----

    /**
     * Stores a judgement for an assignment, committed before return. Idempotent by {@code (annotator, clientId)}:
     * a repeated client id returns the stored judgement with {@code duplicate=true} and stores nothing.
     * Reusing a client id for a different assignment is a CONFLICT.
     * Accepted for a leased, expired or released assignment of this annotator (late answers are kept);
     * CONFLICT if the assignment was already answered under another client id; INVALID if the payload's kind or
     * size does not fit the task or a rating flag is not in the dataset's flag set.
     */
    SubmitResult submit(long annotatorId, Submission submission);

    Optional<Judgement> judgement(long id);

    /** Judgements of a dataset, by id. */
    List<Judgement> judgements(long datasetId);

    /** Judgements of one task, by id. */
    List<Judgement> judgementsForTask(long taskId);

    /** Judgements by one annotator (all datasets), by id. */
    List<Judgement> judgementsBy(long annotatorId);

    // ---- summaries ----

    /** Per dataset: task counts by status (gold tasks counted separately) and judgement count. */
    List<DatasetSummary> datasetSummaries();

    /** Closes the connection pool. */
    @Override
    void close();
}
