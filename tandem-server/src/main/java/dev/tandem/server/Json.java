package dev.tandem.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.http.Context;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/** Reading request bodies (size-limited) and typed fields, with errors that name the field. */
final class Json {
    private Json() {}

    /**
     * Reads the body as a JSON object. 413 if it is larger than {@code max} bytes (by Content-Length, or while reading
     * a chunked body), 400 if it is not a JSON object.
     */
    static JsonNode body(Context ctx, ObjectMapper mapper, long max) {
        byte[] bytes = bodyBytes(ctx, max);
        if (bytes.length == 0) throw ApiException.invalid(null, "request body must be a JSON object");
        JsonNode node;
        try {
            node = mapper.readTree(bytes);
        } catch (JsonProcessingException e) {
            throw ApiException.invalid(null, "request body is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (node == null || !node.isObject()) throw ApiException.invalid(null, "request body must be a JSON object");
        return node;
    }

    static byte[] bodyBytes(Context ctx, long max) {
        long declared = ctx.req().getContentLengthLong();
        if (declared > max) throw ApiException.tooLarge(max);
        try (InputStream in = ctx.req().getInputStream()) {
            // a Content-Length within the limit (the labelling hot path) is read in one exact-sized array; anything
            // else (chunked) streams with the limit enforced as it goes
            if (declared > 0) return in.readNBytes((int) declared);
            ByteArrayOutputStream out = new ByteArrayOutputStream((int) Math.max(0, Math.min(declared, max)));
            byte[] buf = new byte[16384];
            long total = 0;
            for (int n; (n = in.read(buf)) >= 0; ) {
                total += n;
                if (total > max) throw ApiException.tooLarge(max);
                out.write(buf, 0, n);
            }
            return out.toByteArray();
        } catch (IOException e) {
            throw ApiException.invalid(null, "cannot read request body: " + e.getMessage());
        }
    }

    static String text(JsonNode o, String field, boolean required, int maxLength) {
        JsonNode n = o.get(field);
        if (n == null || n.isNull()) {
            if (required) throw ApiException.invalid(field, "is required");
            return null;
        }
        if (!n.isTextual()) throw ApiException.invalid(field, "must be a string");
        String s = n.asText();
        if (required && s.isBlank()) throw ApiException.invalid(field, "must not be blank");
        if (s.length() > maxLength) throw ApiException.invalid(field, "is longer than " + maxLength + " characters");
        return s;
    }

    static long integer(JsonNode o, String field, long dflt, long min, long max) {
        JsonNode n = o.get(field);
        if (n == null || n.isNull()) return dflt;
        if (!n.isIntegralNumber() || !n.canConvertToLong()) throw ApiException.invalid(field, "must be an integer");
        long v = n.longValue();
        if (v < min || v > max) throw ApiException.invalid(field, "must be in " + min + ".." + max + ", got " + v);
        return v;
    }

    static Double number(JsonNode o, String field, Double dflt, double min, double max) {
        JsonNode n = o.get(field);
        if (n == null || n.isNull()) return dflt;
        if (!n.isNumber()) throw ApiException.invalid(field, "must be a number");
        double v = n.doubleValue();
        if (!(v >= min && v <= max)) throw ApiException.invalid(field, "must be in [" + min + ", " + max + "], got " + v);
        return v;
    }

    static List<String> strings(JsonNode o, String field, List<String> dflt) {
        JsonNode n = o.get(field);
        if (n == null || n.isNull()) return dflt;
        if (!n.isArray()) throw ApiException.invalid(field, "must be an array of strings");
        List<String> out = new ArrayList<>();
        for (JsonNode e : n) {
            if (!e.isTextual()) throw ApiException.invalid(field, "must be an array of strings");
            out.add(e.asText());
        }
        return out;
    }

    static JsonNode object(JsonNode o, String field, boolean required) {
        JsonNode n = o.get(field);
        if (n == null || n.isNull()) {
            if (required) throw ApiException.invalid(field, "is required");
            return null;
        }
        if (!n.isObject()) throw ApiException.invalid(field, "must be a JSON object");
        return n;
    }

    static JsonNode array(JsonNode o, String field, boolean required) {
        JsonNode n = o.get(field);
        if (n == null || n.isNull()) {
            if (required) throw ApiException.invalid(field, "is required");
            return null;
        }
        if (!n.isArray()) throw ApiException.invalid(field, "must be an array");
        return n;
    }

    /** A path parameter as a positive id; 404 when it is not a number (no such resource). */
    static long id(Context ctx, String param) {
        String s = ctx.pathParam(param);
        try {
            long v = Long.parseLong(s);
            if (v > 0) return v;
        } catch (NumberFormatException ignored) {
            // fall through
        }
        throw ApiException.notFound(param + " '" + s + "' does not exist");
    }

    /** An optional query parameter parsed as a double within bounds. */
    static Double queryNumber(Context ctx, String name, double min, double max) {
        String s = ctx.queryParam(name);
        if (s == null || s.isBlank()) return null;
        try {
            double v = Double.parseDouble(s);
            if (v >= min && v <= max) return v;
        } catch (NumberFormatException ignored) {
            // fall through
        }
        throw ApiException.invalid(name, "must be a number in [" + min + ", " + max + "], got '" + s + "'");
    }

    static int queryInt(Context ctx, String name, int dflt, int min, int max) {
        String s = ctx.queryParam(name);
        if (s == null || s.isBlank()) return dflt;
        try {
            int v = Integer.parseInt(s);
            if (v >= min && v <= max) return v;
        } catch (NumberFormatException ignored) {
            // fall through
        }
        throw ApiException.invalid(name, "must be an integer in " + min + ".." + max + ", got '" + s + "'");
    }
}
