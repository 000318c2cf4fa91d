package dev.tandem.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A training run's directory, {@code runs/NAME/}:
 *
 * <pre>
 *   config.json        everything needed to reproduce the run, seed included
 *   metrics.jsonl      one line per step (MetricsLog)
 *   samples.jsonl      samples every few steps
 *   checkpoints/step-000120/   Tandem checkpoints (written atomically)
 * </pre>
 */
public final class RunDirectory {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final Pattern STEP_DIR = Pattern.compile("step-(\\d+)");
    private final Path dir;

    private RunDirectory(Path dir) {
        this.dir = dir;
    }

    /** Opens (creating if needed) a run directory. */
    public static RunDirectory create(Path dir) throws IOException {
        Files.createDirectories(dir.resolve("checkpoints"));
        return new RunDirectory(dir);
    }

    public Path dir() { return dir; }

    public Path config() { return dir.resolve("config.json"); }

    public Path metrics() { return dir.resolve("metrics.jsonl"); }

    public Path samples() { return dir.resolve("samples.jsonl"); }

    public Path checkpoints() { return dir.resolve("checkpoints"); }

    /** The directory for the checkpoint of {@code step}: {@code checkpoints/step-000120}. */
    public Path checkpoint(long step) {
        return checkpoints().resolve(String.format("step-%06d", step));
    }

    /** The checkpoint with the highest step, if any complete one exists (temporary directories are ignored). */
    public Optional<Path> latestCheckpoint() throws IOException {
        if (!Files.isDirectory(checkpoints())) return Optional.empty();
        try (Stream<Path> s = Files.list(checkpoints())) {
            return s.filter(p -> STEP_DIR.matcher(p.getFileName().toString()).matches())
                    .filter(p -> Files.isRegularFile(p.resolve("config.json")))
                    .max(Comparator.comparingLong(RunDirectory::stepOf));
        }
    }

    /** The step of a {@code step-NNNNNN} directory. */
    public static long stepOf(Path checkpoint) {
        var m = STEP_DIR.matcher(checkpoint.getFileName().toString());
        if (!m.matches()) throw new IllegalArgumentException("not a step directory: " + checkpoint);
        return Long.parseLong(m.group(1));
    }

    /** Writes JSON to a temporary file, fsyncs it and renames it into place. */
    public static void writeJsonAtomically(Path file, Object value) throws IOException {
        Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
        JSON.writeValue(tmp.toFile(), value);
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
