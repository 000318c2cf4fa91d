package dev.tandem.server;

import static dev.tandem.server.Client.obj;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Story prompts and candidate continuations in the style of TinyStories, for tests and screenshots. */
final class Stories {
    private Stories() {}

    static final String PROMPT = "Write a short story for a young child about a lighthouse keeper who finds a lost kitten.";

    static final String GOOD = """
            Old Tom kept the lighthouse on the rock by the sea. Every night he climbed the long, winding stairs to light the big lamp.

            One stormy evening he heard a tiny sound: "Mew!" Behind a coil of rope sat a small grey kitten, wet and shaking.

            Tom wrapped her in his warm scarf and gave her a saucer of milk. "You can stay with me," he said. "We will keep the ships safe together."

            From that night on, the kitten sat by the lamp and watched the sea, and Tom was never lonely again.""";

    static final String WORSE = """
            There was a lighthouse. A man lived there. He found a kitten. The kitten was lost. He found the kitten and it was lost and then the kitten was found. The end. The lighthouse was tall. The kitten was small. The man was happy because the kitten was found.""";

    /** A pairwise task with two story continuations (first is the better one). */
    static Map<String, Object> pairwiseTask() {
        return obj("kind", "pairwise", "prompt", PROMPT, "responses", List.of(
                response(GOOD, "stories15M", "ckpt-7f3a", "0.8"),
                response(WORSE, "stories260K", "ckpt-19b2", "1.0")));
    }

    static Map<String, Object> response(String text, String model, String version, String temperature) {
        return obj("text", text, "model", obj("id", model, "version", version, "settings", obj("temperature", temperature)));
    }

    /** {@code n} distinct pairwise tasks (for load and concurrency tests). */
    static List<Map<String, Object>> manyPairwise(int n, String tag) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(obj("kind", "pairwise", "prompt", "Story " + tag + " #" + i + ": once upon a time there was a little fox.",
                    "responses", List.of(response("The fox found a red ball and played all day. " + i, "a", "1", "0.7"),
                            response("The fox was sad until a bird sang a song for him. " + i, "b", "2", "0.9"))));
        }
        return out;
    }

    static final String RANK_PROMPT = "Continue the story: \"Lily wanted to build the tallest sandcastle on the beach...\"";

    static final List<String> RANKED = List.of(
            "Lily carried bucket after bucket of wet sand. Her brother helped her make towers and a deep moat. When the waves came, the moat kept the castle safe, and they cheered.",
            "Lily built a castle. It was tall. A wave came and it fell down. She built it again and it was tall again.",
            "Lily built the sandcastle with her dad. They put shells on top. It was very nice and tall.",
            "sand sand castle Lily tall tall the beach beach.");
}
