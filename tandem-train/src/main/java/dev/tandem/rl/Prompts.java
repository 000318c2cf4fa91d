package dev.tandem.rl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Prompts for rollouts: a built-in set of children's-story openings (the register of the TinyStories models), or a
 * file with one prompt per line ({@code .txt}) or one {@code {"prompt": …}} object per line ({@code .jsonl}).
 */
public final class Prompts {
    private Prompts() {}

    /** Story openings written for Tandem's demos and tests. */
    public static final List<String> STORY_OPENINGS = List.of(
            "Once upon a time, there was a little girl named Lily.",
            "Once upon a time, there was a boy named Tim.",
            "One day, a little dog went to the park.",
            "Tom and his mom went to the store.",
            "There was a big tree in the garden.",
            "Sara had a red ball.",
            "One day, Ben found a box in his room.",
            "The cat sat by the window.",
            "Once upon a time, there was a small bird.",
            "Lily and her friend went to the beach.",
            "It was a rainy day.",
            "Max wanted to play with his toy car.",
            "Once upon a time, there was a little bear.",
            "Amy saw a frog near the pond.",
            "The sun was shining in the sky.",
            "One day, a girl named Sue lost her hat.",
            "There was a little fish in the sea.",
            "Tim had a new bike.",
            "Once upon a time, a mouse lived in a house.",
            "The children went to school.",
            "Anna liked to draw pictures.",
            "One morning, Jack woke up early.",
            "Mia found a shiny rock.",
            "There was a old man who lived in a small house.",
            "Once upon a time, there was a happy little duck.",
            "The dog saw a big cat.",
            "Lucy wanted to bake a cake.",
            "One day, Sam went to the farm.",
            "The boy climbed the hill.",
            "Once upon a time, there was a princess.",
            "Bob and Sue played in the snow.",
            "A little girl had a doll.");

    /** Reads prompts from a file; blank lines are skipped, an empty file or a bad line is an error naming it. */
    public static List<String> read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new IOException("prompts file not found: " + file);
        boolean jsonl = file.getFileName().toString().endsWith(".jsonl");
        ObjectMapper json = new ObjectMapper();
        List<String> out = new ArrayList<>();
        int n = 0;
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            n++;
            if (line.isBlank()) continue;
            if (jsonl) {
                JsonNode node;
                try {
                    node = json.readTree(line);
                } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                    throw new IOException(file + ":" + n + ": not valid JSON: " + e.getOriginalMessage());
                }
                JsonNode p = node.path("prompt");
                if (!p.isTextual() || p.asText().isBlank()) {
                    throw new IOException(file + ":" + n + ": field 'prompt': missing or not a non-empty string");
                }
                out.add(p.asText());
            } else {
                out.add(line.strip());
            }
        }
        if (out.isEmpty()) throw new IOException(file + ": no prompts");
        return out;
    }
}
