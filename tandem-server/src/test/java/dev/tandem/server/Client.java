package dev.tandem.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

/** A small JSON client over java.net.http for the tests: one base URI, one token. */
final class Client {
    static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http;
    private final URI base;
    private final String token;

    Client(HttpClient http, URI base, String token) {
        this.http = http;
        this.base = base;
        this.token = token;
    }

    static HttpClient newHttp() {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
    }

    Client as(String otherToken) { return new Client(http, base, otherToken); }

    /** The bearer token (to sign in through the login page). */
    String token() { return token; }

    /** A response: status, headers and the body (parsed as JSON when it is JSON). */
    record Res(int status, HttpResponse<String> raw) {
        JsonNode json() {
            try {
                return raw.body().isEmpty() ? JSON.nullNode() : JSON.readTree(raw.body());
            } catch (IOException e) {
                throw new UncheckedIOException("not JSON (" + status + "): " + raw.body(), e);
            }
        }

        String body() { return raw.body(); }

        String header(String name) { return raw.headers().firstValue(name).orElse(null); }
    }

    Res get(String path) { return send(request(path).GET()); }

    Res delete(String path) { return send(request(path).DELETE()); }

    Res post(String path, Object body) { return send(request(path).POST(publisher(body)).header("Content-Type", "application/json")); }

    Res put(String path, Object body) { return send(request(path).PUT(publisher(body)).header("Content-Type", "application/json")); }

    Res send(HttpRequest.Builder b) {
        try {
            HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            return new Res(r.statusCode(), r);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    HttpRequest.Builder request(String path) {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(30));
        if (token != null) b.header("Authorization", "Bearer " + token);
        return b;
    }

    private static HttpRequest.BodyPublisher publisher(Object body) {
        try {
            return HttpRequest.BodyPublishers.ofString(body instanceof String s ? s : JSON.writeValueAsString(body));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Shorthand for building JSON bodies: {@code obj("a", 1, "b", List.of(...))}. */
    static Map<String, Object> obj(Object... kv) {
        Map<String, Object> m = new java.util.LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
        return m;
    }
}
