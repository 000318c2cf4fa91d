package dev.tandem.loop.judge;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.function.Function;

/** A small server on 127.0.0.1 that speaks POST /v1/chat/completions, answering with a function of the request. */
final class FakeChatServer implements AutoCloseable {
    record Request(String path, String authorization, String body) {}

    record Reply(int status, String body) {}

    private final HttpServer server;
    final List<Request> requests = new CopyOnWriteArrayList<>();

    FakeChatServer(Function<Request, Reply> answer) throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(Executors.newFixedThreadPool(2));
        server.createContext("/", ex -> {
            Request r = new Request(ex.getRequestURI().getPath(), ex.getRequestHeaders().getFirst("Authorization"),
                    new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            requests.add(r);
            Reply reply;
            if (!"POST".equals(ex.getRequestMethod()) || !r.path().equals("/v1/chat/completions")) reply = new Reply(404, "{\"error\":\"not found\"}");
            else reply = answer.apply(r);
            byte[] b = reply.body().getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Content-Type", "application/json");
            ex.sendResponseHeaders(reply.status(), b.length == 0 ? -1 : b.length);
            try (OutputStream o = ex.getResponseBody()) { o.write(b); }
        });
        server.start();
    }

    String url() { return "http://127.0.0.1:" + server.getAddress().getPort(); }

    /** A chat-completions reply with this message text and, if given, the logprobs JSON of its tokens. */
    static String completion(String content, String logprobsContent) {
        String text = new com.fasterxml.jackson.databind.ObjectMapper().getNodeFactory().textNode(content).toString();
        return "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"model\":\"judge-model\",\"choices\":[{\"index\":0,"
                + "\"message\":{\"role\":\"assistant\",\"content\":" + text + "},"
                + (logprobsContent == null ? "" : "\"logprobs\":{\"content\":" + logprobsContent + "},")
                + "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":1,\"total_tokens\":11}}";
    }

    @Override
    public void close() {
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }
}
