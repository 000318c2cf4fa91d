package dev.tandem.feedback.io;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * Anthropic HH-RLHF JSONL (plain or gzipped): {@code {"chosen": TRANSCRIPT, "rejected": TRANSCRIPT}} per line.
 * The prompt is the transcript both sides share, up to and including its last {@code "\n\nAssistant:"} (a few
 * replies in the real data contain further inline "Human:" turns, so the split is taken from the shared prefix, not
 * from each side's last Assistant marker); the two replies are what follows it, without the single space after the colon. So {@code prompt + " " + chosen} rebuilds the
 * original transcript. The group key is null.
 */
public final class HhRlhfReader {
    static final String ASSISTANT = "\n\nAssistant:";

    private HhRlhfReader() {}

    /** Streams the pairs of one file; close the stream. */
    public static Stream<PreferenceRecord> read(Path file) {
        JsonLines json = new JsonLines();
        return Lines.records(file, l -> {
            if (JsonLines.isBlank(l)) return Stream.empty();
            JsonNode o = json.parse(l);
            String chosen = JsonLines.string(l, o, "chosen");
            String rejected = JsonLines.string(l, o, "rejected");
            if (!chosen.contains(ASSISTANT)) throw new PreferenceFormatException(l.file(), l.number(), "chosen", "no \"\\n\\nAssistant:\" turn");
            if (!rejected.contains(ASSISTANT)) throw new PreferenceFormatException(l.file(), l.number(), "rejected", "no \"\\n\\nAssistant:\" turn");
            int common = commonPrefixLength(chosen, rejected);
            // The last Assistant turn that both transcripts share; a reply may itself contain "Human:" text.
            int cut = chosen.lastIndexOf(ASSISTANT, common - ASSISTANT.length());
            if (cut < 0)
                throw new PreferenceFormatException(l.file(), l.number(), "rejected",
                        "shares no conversation ending in an Assistant turn with 'chosen'");
            String prompt = chosen.substring(0, cut + ASSISTANT.length());
            int ci = cut, ri = cut;
            return Stream.of(new PreferenceRecord.Pair(prompt, reply(chosen, ci), reply(rejected, ri), null, null,
                    new SourceRef(l.file(), l.number(), null)));
        });
    }

    private static int commonPrefixLength(String a, String b) {
        int n = Math.min(a.length(), b.length()), i = 0;
        while (i < n && a.charAt(i) == b.charAt(i)) i++;
        return i;
    }

    private static String reply(String transcript, int index) {
        String r = transcript.substring(index + ASSISTANT.length());
        return r.startsWith(" ") ? r.substring(1) : r;
    }
}
