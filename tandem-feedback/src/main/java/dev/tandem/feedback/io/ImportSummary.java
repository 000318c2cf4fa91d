package dev.tandem.feedback.io;

/**
 * What an import stored.
 *
 * @param dataset the dataset name
 * @param records preference records read
 * @param prompts new prompts (prompts are shared by text within a dataset)
 * @param responses new responses (shared by text within a prompt)
 * @param tasks new tasks (one per record)
 * @param judgements new judgements (one per record, by the {@code import:FORMAT} annotator)
 * @param skipped records already imported into this dataset earlier (same file name, line and item)
 */
public record ImportSummary(String dataset, int records, int prompts, int responses, int tasks, int judgements, int skipped) {
    ImportSummary plus(ImportSummary o) {
        return new ImportSummary(dataset, records + o.records, prompts + o.prompts, responses + o.responses, tasks + o.tasks,
                judgements + o.judgements, skipped + o.skipped);
    }
}
