package dev.tandem.rl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tandem.model.Checkpoint;
import dev.tandem.model.Llama;
import dev.tandem.model.SafeTensors;
import dev.tandem.train.MetricsLog;
import dev.tandem.train.RunDirectory;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * The files of one training run ({@code runs/NAME/}): config.json, metrics.jsonl, samples.jsonl and checkpoints.
 *
 * <p>A checkpoint {@code checkpoints/step-000040/} is a Tandem model checkpoint of the policy (so
 * {@code --policy runs/x/checkpoints/step-000040} loads it) plus what resuming needs: {@code trainer.json} (step,
 * KL coefficient, reward statistics, …), {@code optimizer.safetensors} (AdamW moments) and one sub-directory per
 * extra model (a separate value model). It is assembled in a hidden directory and renamed into place last, so a
 * kill leaves either the whole checkpoint or none.
 *
 * <p>A fresh run refuses a directory that already holds one; {@code resume} requires the same configuration (only
 * the number of steps may change), continues from the latest checkpoint and drops metrics and samples logged after
 * it.
 */
public final class TrainingRun implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();
    public static final String TRAINER_STATE = "trainer.json";
    public static final String OPTIMIZER_STATE = "optimizer.safetensors";

    private final RunDirectory dir;
    private final MetricsLog metrics;
    private final BufferedWriter samples;
    private final Path latest;
    private final int keepCheckpoints;

    private TrainingRun(RunDirectory dir, MetricsLog metrics, BufferedWriter samples, Path latest, int keep) {
        this.dir = dir;
        this.metrics = metrics;
        this.samples = samples;
        this.latest = latest;
        this.keepCheckpoints = keep;
    }

    /**
     * Opens a run directory.
     *
     * @param spec            everything that defines the run (algorithm, models, data, config with its seed); written
     *                        to config.json
     * @param resume          continue an existing run rather than start a new one
     * @param keepCheckpoints how many of the newest checkpoints to keep (older ones are deleted)
     */
    public static TrainingRun open(Path path, Object spec, boolean resume, int keepCheckpoints) throws IOException {
        if (keepCheckpoints < 1) throw new IllegalArgumentException("keep at least one checkpoint");
        RunDirectory dir = RunDirectory.create(path);
        // through text, so numbers compare as they will read back from config.json (floats become doubles)
        ObjectNode wanted = (ObjectNode) JSON.readTree(JSON.writeValueAsString(spec));
        boolean exists = Files.exists(dir.config()) || Files.exists(dir.metrics());
        Path latest = null;
        if (resume) {
            if (!Files.exists(dir.config())) {
                throw new IOException(dir.config() + " not found: nothing to resume in " + path);
            }
            JsonNode stored;
            try {
                stored = JSON.readTree(dir.config().toFile());
            } catch (IOException e) {
                throw new IOException(dir.config() + ": not valid JSON: " + e.getMessage(), e);
            }
            List<String> diffs = new ArrayList<>();
            diff("", stored, wanted, diffs);
            diffs.removeIf(d -> d.startsWith("config.steps:"));
            if (!diffs.isEmpty()) {
                throw new IOException("cannot resume " + path + " with a different configuration (only the number of "
                        + "steps may change): " + String.join("; ", diffs));
            }
            latest = dir.latestCheckpoint().filter(p -> Files.isRegularFile(p.resolve(TRAINER_STATE))).orElse(null);
        } else if (exists) {
            throw new IOException(path + " already holds a run; pass --resume to continue it, or choose another --out");
        }
        RunDirectory.writeJsonAtomically(dir.config(), wanted);
        long keep = latest == null ? 0 : RunDirectory.stepOf(latest);
        MetricsLog metrics = resume ? MetricsLog.open(dir.metrics(), keep) : MetricsLog.open(dir.metrics());
        if (resume) truncateSamples(dir.samples(), keep);
        BufferedWriter samples = Files.newBufferedWriter(dir.samples(), StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE);
        return new TrainingRun(dir, metrics, samples, latest, keepCheckpoints);
    }

    private static void diff(String at, JsonNode a, JsonNode b, List<String> out) {
        if (a.isObject() && b.isObject()) {
            java.util.Set<String> keys = new java.util.TreeSet<>();
            a.fieldNames().forEachRemaining(keys::add);
            b.fieldNames().forEachRemaining(keys::add);
            for (String k : keys) diff(at.isEmpty() ? k : at + "." + k, a.path(k), b.path(k), out);
        } else if (!a.equals(b)) {
            out.add(at + ": was " + a + ", now " + b);
        }
    }

    private static void truncateSamples(Path file, long keepUpToStep) throws IOException {
        if (!Files.exists(file)) return;
        List<String> kept = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            try {
                JsonNode n = JSON.readTree(line);
                if (n != null && n.path("step").asLong(Long.MAX_VALUE) <= keepUpToStep) kept.add(line);
            } catch (IOException torn) {
                break;
            }
        }
        Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
        Files.write(tmp, kept, StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    public RunDirectory directory() { return dir; }

    public MetricsLog metrics() { return metrics; }

    /** The checkpoint to resume from, if resuming and one exists. */
    public Optional<Path> resumeFrom() { return Optional.ofNullable(latest); }

    /** The step the resumed checkpoint was taken after (0 when starting fresh). */
    public long resumedStep() { return latest == null ? 0 : RunDirectory.stepOf(latest); }

    /** Appends one sample line ({@code step} is set here). */
    public void sample(long step, ObjectNode sample) {
        ObjectNode line = JSON.createObjectNode().put("step", step);
        line.setAll(sample);
        try {
            samples.write(JSON.writeValueAsString(line));
            samples.write('\n');
            samples.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write samples to " + dir.samples(), e);
        }
    }

    /** What a checkpoint holds besides the policy's own weights. */
    public record State(ObjectNode trainer, Map<String, Llama> models, Map<String, Map<String, float[]>> optimizers) {}

    /**
     * Writes {@code checkpoints/step-N} atomically: the policy as a Tandem checkpoint (with its tokenizer), the
     * extra models, optimizer moments and trainer state; then deletes checkpoints beyond the newest
     * {@code keepCheckpoints}.
     */
    public Path checkpoint(long step, Llama policy, Path tokenizerFile, String tokenizerKind, State state)
            throws IOException {
        Path target = dir.checkpoint(step);
        Path partial = dir.checkpoints().resolve(".step-" + step + ".partial-" + UUID.randomUUID());
        try {
            Checkpoint.save(policy, partial, tokenizerFile, tokenizerKind, step, Map.of("role", "policy"));
            for (var e : state.models().entrySet()) {
                Checkpoint.save(e.getValue(), partial.resolve(e.getKey()), null, null, step, Map.of("role", e.getKey()));
            }
            Map<String, SafeTensors.Tensor> tensors = new LinkedHashMap<>();
            for (var opt : state.optimizers().entrySet()) {
                for (var e : opt.getValue().entrySet()) {
                    tensors.put(opt.getKey() + "/" + e.getKey(),
                            new SafeTensors.Tensor(new long[] {e.getValue().length}, e.getValue()));
                }
            }
            SafeTensors.write(partial.resolve(OPTIMIZER_STATE), tensors, Map.of("format", "tandem-optimizer"));
            Files.writeString(partial.resolve(TRAINER_STATE), JSON.writerWithDefaultPrettyPrinter()
                    .writeValueAsString(state.trainer().deepCopy().put("step", step)), StandardCharsets.UTF_8);
            fsync(partial.resolve(OPTIMIZER_STATE));
            fsync(partial.resolve(TRAINER_STATE));
            if (Files.exists(target)) deleteTree(target);
            Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            deleteTree(partial);
            throw e;
        }
        prune();
        return target;
    }

    /** Reads a checkpoint's state; extra models are loaded by name (the caller closes them). */
    public static State load(Path checkpoint, List<String> modelNames) throws IOException {
        JsonNode trainer;
        try {
            trainer = JSON.readTree(checkpoint.resolve(TRAINER_STATE).toFile());
        } catch (IOException e) {
            throw new IOException(checkpoint.resolve(TRAINER_STATE) + ": unreadable trainer state: " + e.getMessage(), e);
        }
        Map<String, Llama> models = new LinkedHashMap<>();
        for (String name : modelNames) models.put(name, Checkpoint.load(checkpoint.resolve(name)));
        Map<String, Map<String, float[]>> optimizers = new LinkedHashMap<>();
        for (var e : SafeTensors.read(checkpoint.resolve(OPTIMIZER_STATE)).tensors().entrySet()) {
            int slash = e.getKey().indexOf('/');
            if (slash < 0) throw new IOException(checkpoint.resolve(OPTIMIZER_STATE) + ": bad tensor name " + e.getKey());
            optimizers.computeIfAbsent(e.getKey().substring(0, slash), k -> new LinkedHashMap<>())
                    .put(e.getKey().substring(slash + 1), e.getValue().values());
        }
        return new State((ObjectNode) trainer, models, optimizers);
    }

    private void prune() throws IOException {
        List<Path> steps;
        try (Stream<Path> s = Files.list(dir.checkpoints())) {
            steps = s.filter(p -> p.getFileName().toString().matches("step-\\d+"))
                    .sorted(Comparator.comparingLong(RunDirectory::stepOf)).toList();
        }
        for (int i = 0; i < steps.size() - keepCheckpoints; i++) deleteTree(steps.get(i));
    }

    /** Saves the final model to {@code DIR/final} (atomically). */
    public Path saveFinal(Llama policy, Path tokenizerFile, String tokenizerKind, long step, Map<String, String> meta)
            throws IOException {
        Path target = dir.dir().resolve("final");
        Checkpoint.save(policy, target, tokenizerFile, tokenizerKind, step, meta);
        return target;
    }

    static void fsync(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
    }

    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) return;
        try (Stream<Path> walk = Files.walk(root)) {
            Iterator<Path> it = walk.sorted(Comparator.reverseOrder()).iterator();
            while (it.hasNext()) Files.deleteIfExists(it.next());
        }
    }

    @Override
    public void close() throws IOException {
        try {
            metrics.close();
        } finally {
            samples.close();
        }
        MetricsLog.writeCsv(dir.metrics(), dir.metrics().resolveSibling("metrics.csv"));
    }
}
