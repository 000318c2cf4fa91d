package dev.tandem.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Training metrics, one JSON object per line ({@code {"step": 12, "loss": 0.61, ...}}), flushed per line so a
 * killed run keeps every logged step. {@link #writeCsv} turns the file into a CSV with one column per metric.
 */
public final class MetricsLog implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path path;
    private final BufferedWriter out;

    private MetricsLog(Path path, BufferedWriter out) {
        this.path = path;
        this.out = out;
    }

    /** A new, empty log (an existing file is replaced). */
    public static MetricsLog open(Path jsonl) throws IOException {
        Files.createDirectories(jsonl.toAbsolutePath().getParent());
        return new MetricsLog(jsonl, Files.newBufferedWriter(jsonl, StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE));
    }

    /**
     * Reopens a log to resume a run: keeps the lines with {@code step <= keepUpToStep} (dropping anything a killed
     * run logged after its last checkpoint, and a torn last line) and appends after them.
     */
    public static MetricsLog open(Path jsonl, long keepUpToStep) throws IOException {
        List<String> kept = new ArrayList<>();
        if (Files.exists(jsonl)) {
            for (String line : Files.readAllLines(jsonl, StandardCharsets.UTF_8)) {
                try {
                    var node = JSON.readTree(line);
                    if (node != null && node.path("step").asLong(Long.MAX_VALUE) <= keepUpToStep) kept.add(line);
                } catch (IOException torn) {
                    break; // a line cut by a kill: it and anything after it are dropped
                }
            }
        }
        Files.createDirectories(jsonl.toAbsolutePath().getParent());
        Path tmp = jsonl.resolveSibling(jsonl.getFileName() + ".tmp");
        Files.write(tmp, kept, StandardCharsets.UTF_8);
        Files.move(tmp, jsonl, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        return new MetricsLog(jsonl, Files.newBufferedWriter(jsonl, StandardCharsets.UTF_8, StandardOpenOption.APPEND));
    }

    /** Appends one step's metrics (NaN and infinities are written as strings, which JSON cannot hold as numbers). */
    public void log(long step, Map<String, ? extends Number> metrics) {
        ObjectNode node = JSON.createObjectNode();
        node.put("step", step);
        for (var e : metrics.entrySet()) {
            double v = e.getValue().doubleValue();
            if (Double.isFinite(v)) node.put(e.getKey(), v);
            else node.put(e.getKey(), Double.toString(v));
        }
        try {
            out.write(JSON.writeValueAsString(node));
            out.write('\n');
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write metrics to " + path, e);
        }
    }

    public Path path() {
        return path;
    }

    @Override
    public void close() throws IOException {
        out.close();
    }

    /** Reads a metrics file back: one map per line, in order. */
    public static List<Map<String, Object>> read(Path jsonl) throws IOException {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (String line : Files.readAllLines(jsonl, StandardCharsets.UTF_8)) {
            if (line.isBlank()) continue;
            @SuppressWarnings("unchecked")
            Map<String, Object> row = JSON.readValue(line, Map.class);
            rows.add(row);
        }
        return rows;
    }

    /** Writes {@code csv} with a header of every metric name seen (step first) and one row per line of the log. */
    public static void writeCsv(Path jsonl, Path csv) throws IOException {
        List<Map<String, Object>> rows = read(jsonl);
        Set<String> columns = new LinkedHashSet<>();
        columns.add("step");
        for (var r : rows) columns.addAll(r.keySet());
        StringBuilder sb = new StringBuilder(String.join(",", columns)).append('\n');
        for (var r : rows) {
            List<String> cells = new ArrayList<>();
            for (String c : columns) cells.add(r.containsKey(c) ? String.valueOf(r.get(c)) : "");
            sb.append(String.join(",", cells)).append('\n');
        }
        Files.writeString(csv, sb.toString(), StandardCharsets.UTF_8);
    }
}
