package dev.tandem.feedback.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import java.util.stream.Stream;

/** The preference file formats Tandem reads, each with exactly one streaming parser. */
public enum PreferenceFormat {
    /** Anthropic HH-RLHF JSONL, plain or gzipped: {@link HhRlhfReader}. */
    HH_RLHF("hh-rlhf", HhRlhfReader::read, ".jsonl", ".jsonl.gz", ".json.gz"),
    /** OpenAssistant message trees JSONL: {@link OasstReader}. */
    OASST("oasst", OasstReader::read, ".jsonl", ".jsonl.gz"),
    /** UKPConvArg1 strict CSV: {@link UkpConvArgReader}. A directory holding {@code strict/} reads that folder. */
    UKPCONVARG("ukpconvarg", UkpConvArgReader::read, ".csv"),
    /** Generic {@code {prompt, chosen, rejected}} / {@code {prompt, responses, ranks}} JSONL: {@link JsonlPreferenceReader}. */
    JSONL("jsonl", JsonlPreferenceReader::read, ".jsonl", ".jsonl.gz");

    private final String id;
    private final Function<Path, Stream<PreferenceRecord>> reader;
    private final List<String> extensions;

    PreferenceFormat(String id, Function<Path, Stream<PreferenceRecord>> reader, String... extensions) {
        this.id = id;
        this.reader = reader;
        this.extensions = List.of(extensions);
    }

    /** The name used in {@code FORMAT:PATH}: hh-rlhf, oasst, ukpconvarg, jsonl. */
    public String id() { return id; }

    public static PreferenceFormat fromId(String s) {
        for (PreferenceFormat f : values()) if (f.id.equalsIgnoreCase(s.strip())) return f;
        throw new IllegalArgumentException("unknown format '" + s + "': use one of hh-rlhf, oasst, ukpconvarg, jsonl");
    }

    /** The files this format reads at {@code path}: the file itself, or the matching files of a directory, sorted. */
    public List<Path> files(Path path) {
        if (Files.isRegularFile(path)) return List.of(path);
        if (!Files.isDirectory(path)) throw new UncheckedIOException(new IOException("no such file or directory: " + path));
        Path dir = this == UKPCONVARG && Files.isDirectory(path.resolve("strict")) ? path.resolve("strict") : path;
        try (Stream<Path> s = Files.list(dir)) {
            List<Path> files = s.filter(Files::isRegularFile)
                    .filter(p -> extensions.stream().anyMatch(e -> p.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(e)))
                    .sorted().toList();
            if (files.isEmpty()) throw new UncheckedIOException(new IOException("no " + String.join("/", extensions) + " files in " + dir));
            return files;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Streams the records of a file or directory, lazily, file by file. Close the stream. */
    public Stream<PreferenceRecord> read(Path fileOrDir) {
        List<Path> files = files(fileOrDir);
        return files.stream().flatMap(reader);
    }

    /** Streams one file. */
    public Stream<PreferenceRecord> readFile(Path file) { return reader.apply(file); }
}
