package dev.tandem.feedback;

import java.util.List;
import java.util.Objects;

/**
 * What {@code nextTask} hands to an annotator: everything needed to render the task.
 * {@code task().gold()} must NOT be revealed to the annotator (honeypots only work unannounced).
 *
 * @param assignment the lease (submit with its id)
 * @param task the task
 * @param prompt the prompt
 * @param shownResponses the task's responses in display order: for pairwise, index 0 is "A" and 1 is "B"
 * @param ratingFlags the flags the dataset allows for a rating
 */
public record AssignedTask(Assignment assignment, Task task, Prompt prompt, List<Response> shownResponses,
                           List<String> ratingFlags) {
    public AssignedTask {
        Objects.requireNonNull(assignment, "assignment");
        Objects.requireNonNull(task, "task");
        Objects.requireNonNull(prompt, "prompt");
        shownResponses = List.copyOf(shownResponses);
        ratingFlags = List.copyOf(ratingFlags);
    }

    /** The exact text shown, as stored with the judgement. */
    public Shown shown() {
        return new Shown(prompt.text(), shownResponses.stream().map(Response::id).toList(),
                shownResponses.stream().map(Response::text).toList());
    }
}
