package dev.tandem.feedback.store;

import dev.tandem.feedback.Judgement;
import dev.tandem.feedback.JudgementPayload;
import dev.tandem.feedback.NewTask;
import dev.tandem.feedback.Prompt;
import dev.tandem.feedback.Response;
import dev.tandem.feedback.Task;
import java.time.Instant;
import java.util.Optional;

/**
 * Content writes. On {@link FeedbackStore} each call is its own committed transaction; inside
 * {@link FeedbackStore#batch} all calls share one transaction.
 */
public interface BatchWriter {

    /** The named dataset, creating it with these settings if absent (settings of an existing one are left as they are). */
    dev.tandem.feedback.Dataset ensureDataset(String name, String description, dev.tandem.feedback.DatasetSettings settings);

    /** The named annotator, creating it with this kind if absent. */
    dev.tandem.feedback.Annotator ensureAnnotator(String name, dev.tandem.feedback.AnnotatorKind kind);

    /** Adds a prompt to a dataset. {@code groupKey} and {@code source} may be null. */
    Prompt addPrompt(long datasetId, String text, String groupKey, String source);

    /** Adds a response to a prompt. */
    Response addResponse(long promptId, String text, Response.ModelInfo model);

    /** Adds a task; the prompt must be in the dataset and the responses must belong to the prompt. */
    Task addTask(long datasetId, NewTask task);

    /** The prompt of this dataset with exactly this text, if any (the earliest if several). */
    Optional<Prompt> findPrompt(long datasetId, String text);

    /** The response of this prompt with exactly this text, if any (the earliest if several). */
    Optional<Response> findResponse(long promptId, String text);

    /** True if the annotator already has a judgement with this client id. */
    boolean hasJudgement(long annotatorId, String clientId);

    /**
     * Stores a judgement that was made outside the assignment flow (imports, AI judges, simulations): no lease,
     * the responses are taken as shown in task order. It counts toward the task's overlap, except for annotators of
     * kind {@link dev.tandem.feedback.AnnotatorKind#AI_JUDGE}: their judgements are stored (with their confidence)
     * beside the people's but take no overlap slot and are not counted in {@link Task#judgementCount()}, so the
     * task is served to people exactly as if the AI had not judged it. CONFLICT if the
     * annotator already judged the task or used the client id; INVALID if the payload does not fit the task.
     *
     * @param payload in TASK order
     * @param createdAt when it was made (e.g. {@code Instant.now()})
     * @param confidence optional, [0, 1]
     */
    Judgement addJudgement(long taskId, long annotatorId, String clientId, JudgementPayload payload, Instant createdAt,
                           long durationMillis, Double confidence);
}
