package dev.tandem.loop.judge;

import dev.tandem.feedback.Dataset;
import dev.tandem.feedback.FeedbackException;
import dev.tandem.feedback.JudgementKind;
import dev.tandem.feedback.Prompt;
import dev.tandem.feedback.Response;
import dev.tandem.feedback.Task;
import dev.tandem.feedback.store.FeedbackStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The open pairwise tasks of a dataset with their texts: non-gold tasks with fewer (non-AI) judgements than the
 * dataset's overlap, i.e. the ones people may still be asked about.
 *
 * @param task the task
 * @param pair its prompt and two responses, in task order
 */
public record OpenPair(Task task, AiJudge.Pair pair) {

    /** The open pairwise tasks of the named dataset, by id; NOT_FOUND if there is no such dataset. */
    public static List<OpenPair> of(FeedbackStore store, String dataset) {
        Dataset d = store.datasetByName(dataset).orElseThrow(() -> FeedbackException.notFound("dataset '" + dataset + "'"));
        return of(store, d);
    }

    public static List<OpenPair> of(FeedbackStore store, Dataset d) {
        List<Task> open = openTasks(store, d);
        if (open.isEmpty()) return List.of();
        Map<Long, Prompt> prompts = store.prompts(d.id()).stream().collect(Collectors.toMap(Prompt::id, Function.identity()));
        Map<Long, Response> responses = store.responsesInDataset(d.id()).stream().collect(Collectors.toMap(Response::id, Function.identity()));
        List<OpenPair> out = new ArrayList<>(open.size());
        for (Task t : open) {
            out.add(new OpenPair(t, new AiJudge.Pair(prompts.get(t.promptId()).text(),
                    responses.get(t.responseIds().get(0)).text(), responses.get(t.responseIds().get(1)).text())));
        }
        return out;
    }

    /** The open pairwise tasks alone, without reading any texts. */
    static List<Task> openTasks(FeedbackStore store, Dataset d) {
        int overlap = d.settings().overlap();
        return store.tasks(d.id()).stream()
                .filter(t -> !t.gold() && t.kind() == JudgementKind.PAIRWISE && t.responseIds().size() == 2 && t.judgementCount() < overlap)
                .toList();
    }
}
