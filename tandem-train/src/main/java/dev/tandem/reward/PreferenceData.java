package dev.tandem.reward;

import dev.tandem.feedback.io.ImportSource;
import dev.tandem.feedback.io.PreferenceFormat;
import dev.tandem.feedback.io.PreferenceRecord;

import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Preference records read from {@code FORMAT:PATH} sources through the feedback module's readers (one parser per
 * format lives there), each with the group that splits must keep together:
 *
 * <ul>
 *   <li>HH-RLHF: the line (every record is its own group);</li>
 *   <li>OASST: the message tree;</li>
 *   <li>UKPConvArg: the debate, i.e. the file stem before its last {@code _}, so both sides of a debate
 *       ({@code X_yes.csv}, {@code X_no.csv}) stay together;</li>
 *   <li>JSONL: its {@code group} field, else the line.</li>
 * </ul>
 *
 * Records that teach nothing are skipped and counted by reason: a pair whose chosen and rejected texts are identical,
 * a ranking whose responses are all the same text. A source with no usable record is an error.
 *
 * @param records the usable records, in source order
 * @param groups  {@code groups.get(i)} is the split group of {@code records.get(i)}
 * @param skipped reason → count
 */
public record PreferenceData(List<PreferenceRecord> records, List<String> groups, Map<String, Integer> skipped) {

    public static final String SKIP_IDENTICAL = "chosen and rejected identical";

    public PreferenceData {
        records = List.copyOf(records);
        groups = List.copyOf(groups);
        skipped = Collections.unmodifiableMap(new LinkedHashMap<>(skipped));
        if (records.size() != groups.size()) throw new IllegalArgumentException("one group per record");
    }

    /** Reads {@code FORMAT:PATH} specifications (e.g. {@code ukpconvarg:/data/ukpconvarg1}). */
    public static PreferenceData load(List<String> specs) {
        if (specs.isEmpty()) throw new IllegalArgumentException("no data sources given");
        List<ImportSource> sources = new ArrayList<>();
        for (String s : specs) sources.add(ImportSource.parse(s));
        return read(sources);
    }

    /** Reads the sources; malformed input fails with the reader's {@code FILE:LINE: field 'F': …} message. */
    public static PreferenceData read(List<ImportSource> sources) {
        List<PreferenceRecord> records = new ArrayList<>();
        List<String> groups = new ArrayList<>();
        Map<String, Integer> skipped = new LinkedHashMap<>();
        for (ImportSource src : sources) {
            int before = records.size();
            int skippedBefore = skipped.values().stream().mapToInt(Integer::intValue).sum();
            try (Stream<PreferenceRecord> s = src.format().read(src.path())) {
                s.forEach(r -> {
                    String reason = uselessBecause(r);
                    if (reason != null) {
                        skipped.merge(reason, 1, Integer::sum);
                        return;
                    }
                    records.add(r);
                    groups.add(splitGroup(src.format(), r));
                });
            } catch (UncheckedIOException e) {
                throw new IllegalArgumentException(src + ": " + e.getCause().getMessage(), e);
            }
            if (records.size() == before) {
                int sk = skipped.values().stream().mapToInt(Integer::intValue).sum() - skippedBefore;
                throw new IllegalArgumentException(src + ": no usable preference records"
                        + (sk > 0 ? " (" + sk + " skipped: " + skipped + ")" : " (the file is empty)"));
            }
        }
        return new PreferenceData(records, groups, skipped);
    }

    /** Builds a data set from records already in memory (tests, exports); groups as {@link #splitGroup}. */
    public static PreferenceData of(PreferenceFormat format, List<PreferenceRecord> records) {
        List<PreferenceRecord> kept = new ArrayList<>();
        List<String> groups = new ArrayList<>();
        Map<String, Integer> skipped = new LinkedHashMap<>();
        for (PreferenceRecord r : records) {
            String reason = uselessBecause(r);
            if (reason != null) {
                skipped.merge(reason, 1, Integer::sum);
                continue;
            }
            kept.add(r);
            groups.add(splitGroup(format, r));
        }
        if (kept.isEmpty()) throw new IllegalArgumentException("no usable preference records");
        return new PreferenceData(kept, groups, skipped);
    }

    /** The group a split keeps together (see the class comment). */
    public static String splitGroup(PreferenceFormat format, PreferenceRecord r) {
        String key = r.groupKey();
        return switch (format) {
            case UKPCONVARG -> "debate:" + debateOf(key == null ? r.source().file() : key);
            case OASST -> "tree:" + (key == null ? r.source().file() : key);
            case HH_RLHF -> "line:" + r.source().file() + ":" + r.source().line();
            case JSONL -> key != null ? "group:" + key : "line:" + r.source().file() + ":" + r.source().line();
        };
    }

    /** The debate of a UKPConvArg file stem: the part before the last {@code _}. */
    public static String debateOf(String stem) {
        String s = stem.replaceFirst("^.*/", "").replaceFirst("\\.csv$", "");
        int us = s.lastIndexOf('_');
        return us < 0 ? s : s.substring(0, us);
    }

    private static String uselessBecause(PreferenceRecord r) {
        if (r instanceof PreferenceRecord.Pair p) return p.chosen().equals(p.rejected()) ? SKIP_IDENTICAL : null;
        PreferenceRecord.Ranked k = (PreferenceRecord.Ranked) r;
        Set<String> distinct = new HashSet<>(k.responses());
        return distinct.size() < 2 ? "all responses identical" : null;
    }

    public int size() { return records.size(); }

    public int skippedCount() { return skipped.values().stream().mapToInt(Integer::intValue).sum(); }

    /** The distinct split groups, in order of first appearance. */
    public List<String> distinctGroups() {
        return new ArrayList<>(new java.util.LinkedHashSet<>(groups));
    }

    /** The records at the given indices (with their groups). */
    public PreferenceData subset(List<Integer> indices) {
        List<PreferenceRecord> r = new ArrayList<>(indices.size());
        List<String> g = new ArrayList<>(indices.size());
        for (int i : indices) {
            r.add(records.get(i));
            g.add(groups.get(i));
        }
        return new PreferenceData(r, g, Map.of());
    }

    /** Number of decisive pairs (rankings count every pair of different ranks). */
    public long pairCount() {
        long n = 0;
        for (PreferenceRecord r : records) n += r instanceof PreferenceRecord.Ranked k ? k.pairs().size() : 1;
        return n;
    }
}
