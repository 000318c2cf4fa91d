package dev.tandem.feedback.io;

import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * UKPConvArg1 "strict" CSV: tab-separated {@code #id  label  a1  a2} with a header line; {@code label} is
 * {@code a1} or {@code a2}, the more convincing argument. One file per debate side, named
 * {@code DEBATE_STANCE.csv}; the prompt is {@code "Debate: DEBATE\nStance: STANCE"} with dashes turned into spaces,
 * the group key is the file name without {@code .csv}, and the source item is the pair id.
 */
public final class UkpConvArgReader {
    private UkpConvArgReader() {}

    public static Stream<PreferenceRecord> read(Path file) {
        String stem = file.getFileName().toString().replaceFirst("\\.csv$", "");
        String prompt = promptFor(stem);
        return Lines.records(file, l -> {
            if (JsonLines.isBlank(l) || (l.number() == 1 && l.text().startsWith("#"))) return Stream.empty();
            String[] f = l.text().split("\t", -1);
            if (f.length != 4)
                throw new PreferenceFormatException(l.file(), l.number(), f.length < 4 ? new String[] {"#id", "label", "a1", "a2"}[f.length] : "a2",
                        "expected 4 tab-separated columns (#id, label, a1, a2), got " + f.length);
            String id = f[0].strip();
            if (id.isEmpty()) throw new PreferenceFormatException(l.file(), l.number(), "#id", "empty");
            String label = f[1].strip();
            if (!label.equals("a1") && !label.equals("a2"))
                throw new PreferenceFormatException(l.file(), l.number(), "label", "expected a1 or a2, got '" + label + "'");
            if (f[2].isBlank()) throw new PreferenceFormatException(l.file(), l.number(), "a1", "empty argument");
            if (f[3].isBlank()) throw new PreferenceFormatException(l.file(), l.number(), "a2", "empty argument");
            boolean first = label.equals("a1");
            return Stream.of(new PreferenceRecord.Pair(prompt, first ? f[2] : f[3], first ? f[3] : f[2], null, stem,
                    new SourceRef(l.file(), l.number(), id)));
        });
    }

    /** {@code "is-porn-wrong-_no-is-is-not"} to {@code "Debate: is porn wrong\nStance: no is is not"}. */
    static String promptFor(String stem) {
        int us = stem.indexOf('_');
        String debate = us < 0 ? stem : stem.substring(0, us);
        String stance = us < 0 ? "" : stem.substring(us + 1);
        return "Debate: " + words(debate) + "\nStance: " + words(stance);
    }

    private static String words(String s) {
        return s.replace('-', ' ').replaceAll(" +", " ").strip();
    }
}
