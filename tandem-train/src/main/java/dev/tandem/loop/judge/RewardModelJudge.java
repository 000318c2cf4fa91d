package dev.tandem.loop.judge;

import dev.tandem.reward.Losses;
import dev.tandem.reward.RewardModel;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A reward model as judge: P(A better) = σ(r_A − r_B) (Bradley-Terry, the model's own training objective); the answer
 * is the likelier side and the confidence its probability. The model is not closed here: the caller owns it.
 */
public final class RewardModelJudge implements AiJudge {
    private static final int BATCH = 64;
    private final RewardModel model;
    private final String name;

    /** @param name the annotator name, e.g. {@code ai:reward-model:v3} */
    public RewardModelJudge(RewardModel model, String name) {
        this.model = Objects.requireNonNull(model, "model");
        this.name = Objects.requireNonNull(name, "name");
        if (name.isBlank()) throw new IllegalArgumentException("name must not be blank");
    }

    @Override
    public String name() { return name; }

    @Override
    public int batchSize() { return BATCH; }

    @Override
    public List<Verdict> judge(List<Pair> pairs) {
        List<Verdict> out = new ArrayList<>(pairs.size());
        for (int from = 0; from < pairs.size(); from += BATCH) {
            List<Pair> chunk = pairs.subList(from, Math.min(pairs.size(), from + BATCH));
            List<String> prompts = chunk.stream().map(Pair::prompt).toList();
            float[] ra = model.score(prompts, chunk.stream().map(Pair::a).toList());
            float[] rb = model.score(prompts, chunk.stream().map(Pair::b).toList());
            for (int i = 0; i < chunk.size(); i++) {
                double d = (double) ra[i] - rb[i];
                if (!Double.isFinite(d)) throw new JudgeException("reward model " + model.name() + " gave a non-finite reward");
                out.add(Verdict.ofProbability(Losses.sigmoid(d)));
            }
        }
        return out;
    }
}
