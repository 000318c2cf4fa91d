package dev.tandem.loop.judge;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tandem.feedback.JudgementPayload.Choice;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A chat model as judge, through any OpenAI-compatible {@code POST /v1/chat/completions} endpoint (OpenAI, vLLM,
 * Ollama, llama.cpp server…). Each pair is one request: a system message with the judging instruction and a user
 * message with the prompt and both responses; the model answers A, B or TIE (and may state a confidence).
 *
 * <p>Confidence: from the token log-probabilities when the server returns them ({@code logprobs}/{@code
 * top_logprobs}: the probability of the answer among the A/B/TIE alternatives), otherwise the confidence the model
 * states ({@code confidence: 0.8} or {@code 80%}), otherwise {@value #DEFAULT_CONFIDENCE} for a bare answer.
 *
 * <p>Timeouts, HTTP errors, malformed JSON and replies without a readable answer raise {@link JudgeException}; the
 * API key is sent as a bearer token and never appears in messages, logs or {@link #toString()}.
 */
public final class OpenAiChatJudge implements AiJudge {
    /** The confidence of an answer given without log-probabilities or a stated confidence. */
    public static final double DEFAULT_CONFIDENCE = 0.75;
    static final String INSTRUCTION = """
            You are judging two responses to the same prompt. Decide which response is better: more helpful, \
            more coherent and better written. Ignore which one comes first and how long they are.
            Reply with exactly one word on the first line: A if Response A is better, B if Response B is better, \
            or TIE if they are equally good. On a second line you may write "confidence: " and a number from 0 to 1.""";
    private static final int MAX_ERROR_BODY = 300;
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * Where and how to ask.
     *
     * @param baseUrl  the server, e.g. {@code http://localhost:11434} or {@code http://localhost:8000/v1}
     * @param model    the model name the server knows
     * @param apiKey   bearer token, or null for none
     * @param timeout  per request (connect and response)
     * @param logprobs ask for token log-probabilities (a server that refuses them is asked again without)
     */
    public record Config(String baseUrl, String model, String apiKey, Duration timeout, boolean logprobs) {
        public Config {
            Objects.requireNonNull(baseUrl, "baseUrl");
            Objects.requireNonNull(model, "model");
            Objects.requireNonNull(timeout, "timeout");
            URI u = URI.create(baseUrl);
            if (!"http".equals(u.getScheme()) && !"https".equals(u.getScheme()))
                throw new IllegalArgumentException("the base URL must be http(s)://…, got " + baseUrl);
            if (model.isBlank()) throw new IllegalArgumentException("model must not be blank");
            if (timeout.isNegative() || timeout.isZero()) throw new IllegalArgumentException("timeout must be positive");
            if (apiKey != null && apiKey.isBlank()) apiKey = null;
        }

        public Config(String baseUrl, String model, String apiKey) {
            this(baseUrl, model, apiKey, Duration.ofSeconds(60), true);
        }

        /** The chat-completions URL: {@code BASE/v1/chat/completions}, or {@code BASE/chat/completions} when BASE ends in /v1. */
        public URI endpoint() {
            String b = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
            return URI.create(b.endsWith("/v1") ? b + "/chat/completions" : b + "/v1/chat/completions");
        }

        @Override
        public String toString() {
            return "Config[baseUrl=" + baseUrl + ", model=" + model + ", apiKey=" + (apiKey == null ? "none" : "(set)")
                    + ", timeout=" + timeout + ", logprobs=" + logprobs + "]";
        }
    }

    private final Config config;
    private final HttpClient http;
    private volatile boolean serverTakesLogprobs;

    public OpenAiChatJudge(Config config) {
        this.config = Objects.requireNonNull(config, "config");
        this.http = HttpClient.newBuilder().connectTimeout(config.timeout()).build();
        this.serverTakesLogprobs = config.logprobs();
    }

    @Override
    public String name() { return "ai:chat:" + config.model(); }

    public Config config() { return config; }

    @Override
    public String toString() { return "OpenAiChatJudge[" + config + "]"; }

    @Override
    public List<Verdict> judge(List<Pair> pairs) {
        List<Verdict> out = new ArrayList<>(pairs.size());
        for (Pair p : pairs) out.add(judgeOne(p));
        return out;
    }

    /** One request for one pair. */
    public Verdict judgeOne(Pair pair) {
        boolean withLogprobs = serverTakesLogprobs;
        HttpResponse<String> r = post(body(pair, withLogprobs));
        if (withLogprobs && (r.statusCode() == 400 || r.statusCode() == 422)) {
            // some servers reject logprobs: ask again without them, and don't ask again
            HttpResponse<String> plain = post(body(pair, false));
            if (plain.statusCode() / 100 == 2) serverTakesLogprobs = false;
            r = plain;
        }
        if (r.statusCode() / 100 != 2)
            throw new JudgeException("HTTP " + r.statusCode() + " from " + config.endpoint() + ": " + excerpt(r.body()));
        return parseReply(r.body());
    }

    private HttpResponse<String> post(String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(config.endpoint()).timeout(config.timeout())
                .header("Content-Type", "application/json").header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        if (config.apiKey() != null) b.header("Authorization", "Bearer " + config.apiKey());
        try {
            return http.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (HttpTimeoutException e) {
            throw new JudgeException("no reply from " + config.endpoint() + " within " + config.timeout().toMillis() + " ms", e);
        } catch (IOException e) {
            throw new JudgeException("cannot reach " + config.endpoint() + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new JudgeException("interrupted while waiting for " + config.endpoint(), e);
        }
    }

    String body(Pair p, boolean logprobs) {
        ObjectNode root = JSON.createObjectNode();
        root.put("model", config.model());
        ArrayNode messages = root.putArray("messages");
        messages.addObject().put("role", "system").put("content", INSTRUCTION);
        messages.addObject().put("role", "user").put("content", userMessage(p));
        root.put("temperature", 0);
        root.put("max_tokens", 24);
        if (logprobs) root.put("logprobs", true).put("top_logprobs", 5);
        return root.toString();
    }

    static String userMessage(Pair p) {
        return "Prompt:\n" + p.prompt() + "\n\nResponse A:\n" + p.a() + "\n\nResponse B:\n" + p.b()
                + "\n\nWhich response is better? Answer A, B or TIE.";
    }

    /** Reads a chat-completions reply: the answer from the message text, the confidence as described above. */
    static Verdict parseReply(String body) {
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (JsonProcessingException e) {
            throw new JudgeException("malformed JSON in the reply: " + excerpt(body));
        }
        JsonNode choice = root == null ? null : root.path("choices").path(0);
        JsonNode content = choice == null ? null : choice.path("message").path("content");
        if (content == null || !content.isTextual())
            throw new JudgeException("the reply has no choices[0].message.content: " + excerpt(body));
        String text = content.asText();
        Choice answer = parseAnswer(text);
        Double fromLogprobs = logprobConfidence(choice.path("logprobs").path("content"), answer);
        if (fromLogprobs != null) return Verdict.ofAnswer(answer, fromLogprobs);
        Double stated = statedConfidence(text);
        return Verdict.ofAnswer(answer, stated != null ? stated : answer == Choice.TIE ? 0.5 : DEFAULT_CONFIDENCE);
    }

    private static final Pattern LABELLED = Pattern.compile(
            "(?i)\\b(?:answer|verdict|winner|better(?: response)?|choice|final answer)\\b\\s*(?:is)?\\s*[:=\\-]?\\s*[*\"'(\\[]*\\s*"
                    + "(?:response\\s+)?(A|B|TIE|TIED|EQUAL)\\b");
    private static final Pattern RESPONSE_X_BETTER = Pattern.compile("(?i)\\bresponse\\s+(A|B)\\b\\s+is\\s+(?:clearly\\s+|slightly\\s+|much\\s+)?better");
    private static final Pattern FIRST_WORD = Pattern.compile("(?i)^[\\s*\"'`(\\[#>]*(?:response\\s+)?([A-Za-z]+)");
    private static final Pattern JSON_ANSWER = Pattern.compile("(?i)\"(?:answer|winner|choice|verdict)\"\\s*:\\s*\"\\s*(?:response\\s+)?(A|B|TIE|EQUAL)\\s*\"");

    /** A, B or TIE from a reply's text; {@link JudgeException} if it says none of them clearly. */
    static Choice parseAnswer(String text) {
        String t = text.strip();
        t = t.replaceAll("(?s)<think>.*?</think>", "").strip(); // reasoning models
        Matcher m = JSON_ANSWER.matcher(t);
        if (m.find()) return choice(m.group(1));
        m = FIRST_WORD.matcher(t);
        if (m.find()) {
            Choice c = word(m.group(1));
            if (c != null) return c;
        }
        m = LABELLED.matcher(t);
        if (m.find()) return choice(m.group(1));
        m = RESPONSE_X_BETTER.matcher(t);
        if (m.find()) return choice(m.group(1));
        throw new JudgeException("no answer (A, B or TIE) in the reply: " + excerpt(text));
    }

    private static Choice word(String w) {
        return switch (w.toUpperCase(Locale.ROOT)) {
            case "A" -> Choice.A;
            case "B" -> Choice.B;
            case "TIE", "TIED", "EQUAL" -> Choice.TIE;
            default -> null;
        };
    }

    private static Choice choice(String w) {
        Choice c = word(w);
        if (c == null) throw new IllegalStateException(w);
        return c;
    }

    private static final Pattern CONFIDENCE = Pattern.compile(
            "(?i)confiden(?:ce|t)[\"']?\\s*(?:level|score)?\\s*(?:is|of)?\\s*[:=]?\\s*[\"']?(\\d+(?:\\.\\d+)?)\\s*(%?)");
    private static final Pattern PERCENT_CONFIDENT = Pattern.compile("(?i)(\\d+(?:\\.\\d+)?)\\s*(%)\\s*(?:sure|certain|confiden)");

    /** The confidence the text states, as a probability in [0, 1], if any (a percentage is divided by 100). */
    static Double statedConfidence(String text) {
        Matcher m = CONFIDENCE.matcher(text);
        if (!m.find()) {
            m = PERCENT_CONFIDENT.matcher(text);
            if (!m.find()) return null;
        }
        double v = Double.parseDouble(m.group(1));
        if (!m.group(2).isEmpty() || v > 1) v /= 100;
        return v >= 0 && v <= 1 ? v : null;
    }

    /**
     * The probability of {@code answer} from the first answer token's log-probabilities: among its top alternatives,
     * the mass on the answer over the mass on A, B and TIE; the token's own probability when no alternatives came.
     */
    static Double logprobConfidence(JsonNode tokens, Choice answer) {
        if (!tokens.isArray()) return null;
        for (JsonNode tok : tokens) {
            Choice c = word(clean(tok.path("token").asText("")));
            if (c == null || !tok.path("logprob").isNumber()) continue;
            if (c != answer) return null; // the text's answer is not its first answer token: trust the text only
            double own = Math.exp(tok.path("logprob").asDouble());
            JsonNode top = tok.path("top_logprobs");
            if (!top.isArray() || top.isEmpty()) return clamp(own);
            double[] mass = new double[3];
            for (JsonNode alt : top) {
                Choice a = word(clean(alt.path("token").asText("")));
                if (a == null || !alt.path("logprob").isNumber()) continue;
                mass[a.ordinal()] += Math.exp(alt.path("logprob").asDouble());
            }
            double total = mass[0] + mass[1] + mass[2];
            if (total <= 0) return clamp(own);
            return clamp(mass[answer.ordinal()] / total);
        }
        return null;
    }

    private static String clean(String token) {
        return token.replaceAll("[\\s*\"'`(\\[\\]).:#>]", "");
    }

    private static double clamp(double p) {
        return Double.isFinite(p) ? Math.max(0, Math.min(1, p)) : 0.5;
    }

    /** At most 300 characters of a reply, on one line, for error messages. */
    static String excerpt(String s) {
        if (s == null) return "(empty)";
        String one = s.replaceAll("\\s+", " ").strip();
        if (one.isEmpty()) return "(empty)";
        return one.length() <= MAX_ERROR_BODY ? one : one.substring(0, MAX_ERROR_BODY) + "…";
    }
}
