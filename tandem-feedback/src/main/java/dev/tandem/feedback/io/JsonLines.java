package dev.tandem.feedback.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** JSON access for line-based readers, with errors that name file, line and field. */
final class JsonLines {
    private final ObjectMapper mapper = new ObjectMapper();

    JsonNode parse(Lines.Line l) {
        try {
            JsonNode n = mapper.readTree(l.text());
            if (n == null || !n.isObject()) throw new PreferenceFormatException(l.file(), l.number(), null, "expected a JSON object");
            return n;
        } catch (JsonProcessingException e) {
            throw new PreferenceFormatException(l.file(), l.number(), null, "invalid JSON: " + e.getOriginalMessage());
        }
    }

    static String string(Lines.Line l, JsonNode o, String field) {
        JsonNode n = o.get(field);
        if (n == null || n.isNull()) throw new PreferenceFormatException(l.file(), l.number(), field, "missing");
        if (!n.isTextual()) throw new PreferenceFormatException(l.file(), l.number(), field, "expected a string, got " + n.getNodeType());
        return n.asText();
    }

    static String optionalString(Lines.Line l, JsonNode o, String field) {
        JsonNode n = o.get(field);
        if (n == null || n.isNull()) return null;
        if (!n.isTextual()) throw new PreferenceFormatException(l.file(), l.number(), field, "expected a string, got " + n.getNodeType());
        return n.asText();
    }

    static boolean isBlank(Lines.Line l) { return l.text().isBlank(); }
}
