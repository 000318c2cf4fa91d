package dev.tandem.loop;

import dev.tandem.rl.Prompts;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The demo's prompts: story openings for generating comparisons and for policy rollouts, and a disjoint set of
 * FRESH openings that only the final evaluation sees. Every fourth built-in opening of {@link Prompts#STORY_OPENINGS}
 * is held out, together with {@link #EXTRA_FRESH}, written for evaluation only.
 *
 * @param train prompts for comparisons and rollouts
 * @param fresh prompts never used in training
 */
public record DemoPrompts(List<String> train, List<String> fresh) {

    /** Openings that appear nowhere in training. */
    public static final List<String> EXTRA_FRESH = List.of(
            "Once upon a time, there was a little boy named Leo.",
            "Kim went to the zoo with her dad.",
            "One day, a small cat found a ball of yarn.",
            "There was a tall girl who liked to sing.",
            "Ben and Lily built a sand castle.",
            "The little car was stuck in the mud.",
            "One night, Zoe looked at the moon.",
            "Once upon a time, there was a kind frog.",
            "Tom had a big box of crayons.",
            "A bunny hopped into the garden.",
            "Sue wanted to fly a kite.",
            "One day, Max saw a big truck.",
            "There was a little girl who had a puppy.",
            "The bird sang a song in the tree.",
            "Jack and his sister went to the lake.",
            "Once upon a time, there was a shy turtle.");

    public DemoPrompts {
        train = List.copyOf(train);
        fresh = List.copyOf(fresh);
        if (train.isEmpty() || fresh.isEmpty()) throw new IllegalArgumentException("need training and fresh prompts");
        Set<String> seen = new HashSet<>(train);
        for (String f : fresh) {
            if (seen.contains(f)) throw new IllegalArgumentException("fresh prompt also used in training: " + f);
        }
    }

    /** The standard split. */
    public static DemoPrompts standard() {
        List<String> train = new ArrayList<>(), fresh = new ArrayList<>();
        for (int i = 0; i < Prompts.STORY_OPENINGS.size(); i++) {
            (i % 4 == 3 ? fresh : train).add(Prompts.STORY_OPENINGS.get(i));
        }
        fresh.addAll(EXTRA_FRESH);
        return new DemoPrompts(train, fresh);
    }
}
