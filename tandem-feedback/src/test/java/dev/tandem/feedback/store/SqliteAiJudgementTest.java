package dev.tandem.feedback.store;

import dev.tandem.feedback.testing.TestDatabase;
import java.nio.file.Path;

class SqliteAiJudgementTest extends AiJudgementContract {
    @Override
    TestDatabase newDatabase(Path dir) { return TestDatabase.sqlite(dir); }
}
