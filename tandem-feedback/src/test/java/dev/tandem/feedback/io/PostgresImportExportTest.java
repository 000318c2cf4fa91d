package dev.tandem.feedback.io;

import dev.tandem.feedback.testing.TestDatabase;
import java.nio.file.Path;

class PostgresImportExportTest extends ImportExportContract {
    @Override
    TestDatabase newDatabase(Path dir) { return TestDatabase.postgres(); }
}
