package dev.tandem.feedback.io;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * OpenAssistant message trees (one tree per line: {@code {"message_tree_id", "prompt": MESSAGE}}, each message with
 * {@code message_id, text, role, rank, replies[]}). Every message whose assistant replies carry a {@code rank} gives
 * one {@link PreferenceRecord.Ranked}: the ranked assistant siblings (at least two), ranks made dense, 0 = best.
 * The prompt is the conversation from the root to that parent in HH style ({@code "\n\nHuman: …\n\nAssistant: …"})
 * ending with {@code "\n\nAssistant:"}. Group key: the tree id; source item: the parent message id.
 */
public final class OasstReader {
    private OasstReader() {}

    public static Stream<PreferenceRecord> read(Path file) {
        JsonLines json = new JsonLines();
        return Lines.records(file, l -> {
            if (JsonLines.isBlank(l)) return Stream.empty();
            JsonNode tree = json.parse(l);
            String treeId = JsonLines.string(l, tree, "message_tree_id");
            JsonNode root = tree.get("prompt");
            if (root == null || !root.isObject()) throw new PreferenceFormatException(l.file(), l.number(), "prompt", "missing message object");
            List<PreferenceRecord> out = new ArrayList<>();
            walk(l, treeId, root, "prompt", new StringBuilder(), out);
            return out.stream();
        });
    }

    private static void walk(Lines.Line l, String treeId, JsonNode msg, String path, StringBuilder convo, List<PreferenceRecord> out) {
        String text = JsonLines.string(l, msg, "text");
        String role = JsonLines.string(l, msg, "role");
        String speaker = switch (role) {
            case "prompter" -> "Human";
            case "assistant" -> "Assistant";
            default -> throw new PreferenceFormatException(l.file(), l.number(), path + ".role", "expected prompter or assistant, got '" + role + "'");
        };
        int mark = convo.length();
        convo.append("\n\n").append(speaker).append(": ").append(text);
        JsonNode replies = msg.get("replies");
        if (replies != null && !replies.isNull()) {
            if (!replies.isArray()) throw new PreferenceFormatException(l.file(), l.number(), path + ".replies", "expected an array");
            List<String> texts = new ArrayList<>();
            List<Integer> ranks = new ArrayList<>();
            for (int i = 0; i < replies.size(); i++) {
                JsonNode r = replies.get(i);
                String rpath = path + ".replies[" + i + "]";
                JsonNode rank = r.get("rank");
                if ("assistant".equals(JsonLines.optionalString(l, r, "role")) && rank != null && !rank.isNull()) {
                    if (!rank.isIntegralNumber() || rank.intValue() < 0)
                        throw new PreferenceFormatException(l.file(), l.number(), rpath + ".rank", "expected a non-negative integer, got " + rank);
                    texts.add(JsonLines.string(l, r, "text"));
                    ranks.add(rank.intValue());
                }
            }
            if (texts.size() >= 2) {
                String parentId = JsonLines.string(l, msg, "message_id");
                out.add(new PreferenceRecord.Ranked(convo + HhRlhfReader.ASSISTANT, texts, PreferenceRecord.denseRanks(ranks), treeId,
                        new SourceRef(l.file(), l.number(), parentId)));
            }
            for (int i = 0; i < replies.size(); i++) walk(l, treeId, replies.get(i), path + ".replies[" + i + "]", convo, out);
        }
        convo.setLength(mark);
    }
}
