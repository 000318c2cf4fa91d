-- The open-task queue as a partial index, so that picking the next task never looks at finished ones.
--
-- tasks.overlap is a copy of the dataset's overlap (kept in step by FeedbackStore.updateSettings), so "open" can be
-- said with the task's own columns: gold = 0 AND slots_taken < overlap. The index holds exactly the open non-gold
-- tasks in serving order (priority DESC, id), and nextTask reads its first entry that the annotator has not seen:
-- O(1) however many tasks are done, where V1's tasks_queue made every pick sort all of the dataset's open tasks.
-- Partial indexes and column-to-column predicates work the same in SQLite (>= 3.8) and PostgreSQL.

ALTER TABLE tasks ADD COLUMN overlap INTEGER NOT NULL DEFAULT 1;

UPDATE tasks SET overlap = (SELECT d.overlap FROM datasets d WHERE d.id = tasks.dataset_id);

CREATE INDEX tasks_open ON tasks (dataset_id, priority DESC, id) WHERE gold = 0 AND slots_taken < overlap;
