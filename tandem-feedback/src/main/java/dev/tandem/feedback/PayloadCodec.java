package dev.tandem.feedback;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * JSON form of payloads and shown texts, as stored in the database and usable on the wire:
 * <pre>
 * {"kind":"pairwise","choice":"a|b|tie|both-bad","strength":"slightly|clearly|much"?,"comment":"..."?}
 * {"kind":"ranking","ranks":[0,2,1],"comment":"..."?}
 * {"kind":"rating","score":5,"flags":["harmful"],"comment":"..."?}
 * {"kind":"demonstration","text":"...","comment":"..."?}
 * </pre>
 * Parsing errors are {@link IllegalArgumentException}s naming the field.
 */
public final class PayloadCodec {
    private final ObjectMapper mapper = new ObjectMapper();

    public ObjectNode toJsonNode(JudgementPayload p) {
        ObjectNode o = mapper.createObjectNode();
        o.put("kind", p.kind().wireName());
        if (p instanceof JudgementPayload.Pairwise pw) {
            o.put("choice", pw.choice().wireName());
            if (pw.strength() != null) o.put("strength", pw.strength().wireName());
        } else if (p instanceof JudgementPayload.Ranking r) {
            ArrayNode a = o.putArray("ranks");
            r.ranks().forEach(a::add);
        } else if (p instanceof JudgementPayload.Rating r) {
            o.put("score", r.score());
            ArrayNode a = o.putArray("flags");
            r.flags().stream().sorted().forEach(a::add);
        } else if (p instanceof JudgementPayload.Demonstration d) {
            o.put("text", d.text());
        }
        if (p.comment() != null) o.put("comment", p.comment());
        return o;
    }

    public String toJson(JudgementPayload p) { return write(toJsonNode(p)); }

    public JudgementPayload fromJson(String json) { return fromJsonNode(read(json)); }

    public JudgementPayload fromJsonNode(JsonNode o) {
        if (o == null || !o.isObject()) throw new IllegalArgumentException("payload must be a JSON object");
        String kindText = text(o, "kind", true);
        JudgementKind kind;
        try {
            kind = JudgementKind.fromWire(kindText);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("field 'kind': unknown kind '" + kindText + "'");
        }
        String comment = text(o, "comment", false);
        return switch (kind) {
            case PAIRWISE -> {
                JudgementPayload.Choice choice;
                String c = text(o, "choice", true);
                try {
                    choice = JudgementPayload.Choice.fromWire(c);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("field 'choice': expected a, b, tie or both-bad, got '" + c + "'");
                }
                String s = text(o, "strength", false);
                JudgementPayload.Strength strength = null;
                if (s != null) {
                    try {
                        strength = JudgementPayload.Strength.fromWire(s);
                    } catch (IllegalArgumentException e) {
                        throw new IllegalArgumentException("field 'strength': expected slightly, clearly or much, got '" + s + "'");
                    }
                }
                yield new JudgementPayload.Pairwise(choice, strength, comment);
            }
            case RANKING -> {
                JsonNode a = o.get("ranks");
                if (a == null || !a.isArray()) throw new IllegalArgumentException("field 'ranks': expected an array of integers");
                List<Integer> ranks = new ArrayList<>();
                for (JsonNode n : a) {
                    if (!n.isIntegralNumber()) throw new IllegalArgumentException("field 'ranks': expected integers, got " + n);
                    ranks.add(n.intValue());
                }
                yield new JudgementPayload.Ranking(ranks, comment);
            }
            case RATING -> {
                JsonNode s = o.get("score");
                if (s == null || !s.isIntegralNumber()) throw new IllegalArgumentException("field 'score': expected an integer 1..7");
                Set<String> flags = new LinkedHashSet<>();
                JsonNode f = o.get("flags");
                if (f != null && !f.isNull()) {
                    if (!f.isArray()) throw new IllegalArgumentException("field 'flags': expected an array of strings");
                    for (JsonNode n : f) {
                        if (!n.isTextual()) throw new IllegalArgumentException("field 'flags': expected strings, got " + n);
                        flags.add(n.asText());
                    }
                }
                yield new JudgementPayload.Rating(s.intValue(), flags, comment);
            }
            case DEMONSTRATION -> new JudgementPayload.Demonstration(text(o, "text", true), comment);
        };
    }

    public String toJson(Shown s) {
        ObjectNode o = mapper.createObjectNode();
        o.put("prompt", s.prompt());
        ArrayNode ids = o.putArray("responseIds");
        s.responseIds().forEach(ids::add);
        ArrayNode texts = o.putArray("responseTexts");
        s.responseTexts().forEach(texts::add);
        return write(o);
    }

    public Shown shownFromJson(String json) {
        JsonNode o = read(json);
        List<Long> ids = new ArrayList<>();
        o.get("responseIds").forEach(n -> ids.add(n.longValue()));
        List<String> texts = new ArrayList<>();
        o.get("responseTexts").forEach(n -> texts.add(n.asText()));
        return new Shown(o.get("prompt").asText(), ids, texts);
    }

    /** Serialises any JSON-able value (maps, lists, strings) with this codec's mapper. */
    public String write(Object value) {
        try {
            return mapper.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise " + value.getClass(), e);
        }
    }

    public JsonNode read(String json) {
        try {
            return mapper.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("invalid JSON: " + e.getOriginalMessage());
        }
    }

    public ObjectMapper mapper() { return mapper; }

    private static String text(JsonNode o, String field, boolean required) {
        JsonNode n = o.get(field);
        if (n == null || n.isNull()) {
            if (required) throw new IllegalArgumentException("field '" + field + "' is missing");
            return null;
        }
        if (!n.isTextual()) throw new IllegalArgumentException("field '" + field + "': expected a string");
        return n.asText();
    }
}
