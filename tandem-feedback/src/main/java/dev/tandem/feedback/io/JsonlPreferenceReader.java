package dev.tandem.feedback.io;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tandem.feedback.JudgementPayload.Strength;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Generic JSONL (plain or gzipped), one object per line, either
 * {@code {"prompt", "chosen", "rejected", "strength"?: "slightly|clearly|much", "group"?}} (TRL's preference format) or
 * {@code {"prompt", "responses": [..], "ranks": [..], "group"?}} (0 = best, ties allowed; made dense).
 */
public final class JsonlPreferenceReader {
    private JsonlPreferenceReader() {}

    public static Stream<PreferenceRecord> read(Path file) {
        JsonLines json = new JsonLines();
        return Lines.records(file, l -> {
            if (JsonLines.isBlank(l)) return Stream.empty();
            JsonNode o = json.parse(l);
            String prompt = JsonLines.string(l, o, "prompt");
            String group = JsonLines.optionalString(l, o, "group");
            SourceRef src = new SourceRef(l.file(), l.number(), null);
            if (o.has("responses") || o.has("ranks")) {
                JsonNode rs = o.get("responses"), rk = o.get("ranks");
                if (rs == null || !rs.isArray()) throw new PreferenceFormatException(l.file(), l.number(), "responses", "expected an array of strings");
                if (rk == null || !rk.isArray()) throw new PreferenceFormatException(l.file(), l.number(), "ranks", "expected an array of integers");
                if (rs.size() < 2 || rs.size() > 9)
                    throw new PreferenceFormatException(l.file(), l.number(), "responses", "expected 2 to 9 responses, got " + rs.size());
                if (rk.size() != rs.size())
                    throw new PreferenceFormatException(l.file(), l.number(), "ranks", rk.size() + " ranks for " + rs.size() + " responses");
                List<String> responses = new ArrayList<>();
                List<Integer> ranks = new ArrayList<>();
                for (int i = 0; i < rs.size(); i++) {
                    if (!rs.get(i).isTextual()) throw new PreferenceFormatException(l.file(), l.number(), "responses[" + i + "]", "expected a string");
                    if (!rk.get(i).isIntegralNumber() || rk.get(i).intValue() < 0)
                        throw new PreferenceFormatException(l.file(), l.number(), "ranks[" + i + "]", "expected a non-negative integer, got " + rk.get(i));
                    responses.add(rs.get(i).asText());
                    ranks.add(rk.get(i).intValue());
                }
                return Stream.of(new PreferenceRecord.Ranked(prompt, responses, PreferenceRecord.denseRanks(ranks), group, src));
            }
            String chosen = JsonLines.string(l, o, "chosen");
            String rejected = JsonLines.string(l, o, "rejected");
            String s = JsonLines.optionalString(l, o, "strength");
            Strength strength = null;
            if (s != null) {
                try {
                    strength = Strength.fromWire(s);
                } catch (IllegalArgumentException e) {
                    throw new PreferenceFormatException(l.file(), l.number(), "strength", "expected slightly, clearly or much, got '" + s + "'");
                }
            }
            return Stream.of(new PreferenceRecord.Pair(prompt, chosen, rejected, strength, group, src));
        });
    }
}
