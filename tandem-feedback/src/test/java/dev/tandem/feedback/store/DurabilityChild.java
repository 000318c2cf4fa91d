package dev.tandem.feedback.store;

import dev.tandem.feedback.AssignedTask;
import dev.tandem.feedback.JudgementPayload;
import dev.tandem.feedback.SubmitResult;
import dev.tandem.feedback.Submission;
import java.util.Optional;

/**
 * Child process for the kill -9 test: labels tasks as fast as it can and prints {@code ACK id} after each submit
 * returns. The parent kills it with SIGKILL mid-stream and checks every acknowledged judgement is in the database.
 */
public final class DurabilityChild {
    public static void main(String[] args) {
        String url = args[0];
        long annotator = Long.parseLong(args[1]);
        long dataset = Long.parseLong(args[2]);
        FeedbackStore store = JdbcFeedbackStore.open(url); // deliberately never closed: the parent kills us
        while (true) {
            Optional<AssignedTask> t = store.nextTask(annotator, dataset);
            if (t.isEmpty()) { // all labelled before the parent's kill (a slow, loaded parent): wait for it
                System.out.println("DONE");
                System.out.flush();
                try {
                    Thread.sleep(Long.MAX_VALUE);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return;
            }
            SubmitResult r = store.submit(annotator, new Submission(t.get().assignment().id(), "k" + t.get().assignment().id(),
                    new JudgementPayload.Pairwise(JudgementPayload.Choice.A), 1, null));
            System.out.println("ACK " + r.judgement().id());
            System.out.flush();
        }
    }
}
