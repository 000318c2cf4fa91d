package dev.tandem.rl;

import dev.tandem.model.Models;
import dev.tandem.model.tokenizer.Tokenizer;
import dev.tandem.reward.RewardModel;
import dev.tandem.rl.rewards.BuiltinRewards;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Short PPO (value head on the trunk), GRPO, RLOO, DPO and SFT runs in their own JVM, so that the test can set
 * {@code TANDEM_SHARDS}: {@code ShardsChild OUT_DIR} writes {@code OUT_DIR/ppo}, {@code grpo}, {@code rloo},
 * {@code dpo} and {@code sft}.
 */
public final class ShardsChild {
    private ShardsChild() {}

    /** Minibatches of 7 rows: shards of 3 and 4 rows, so a part weighted by rows or tokens, not equally, shows. */
    static PpoConfig ppo() {
        return PpoConfig.builder().steps(3).batchSize(14).maxNewTokens(16).learningRate(3e-4f).klCoef(0.1f)
                .valueHead(PpoConfig.ValueHead.SHARED).epochs(2).minibatches(2).seed(5).checkpointEvery(0)
                .sampleEvery(1).samplesPerLog(1).build();
    }

    /** 7 prompts x 2 samples in minibatches of 7: shards of 3 and 4 rows. */
    static GrpoConfig grpo() {
        return GrpoConfig.builder().steps(3).promptsPerStep(7).samplesPerPrompt(2).maxNewTokens(16).learningRate(3e-4f)
                .beta(0.1f).epochs(1).minibatches(2).seed(3).checkpointEvery(0).build();
    }

    static RlooConfig rloo() {
        return RlooConfig.builder().steps(3).promptsPerStep(7).samplesPerPrompt(2).maxNewTokens(16).learningRate(3e-4f)
                .klCoef(0.2f).epochs(1).minibatches(2).seed(3).checkpointEvery(0).build();
    }

    static DpoConfig dpo() {
        return DpoConfig.builder().steps(3).batchSize(7).learningRate(1e-3f).beta(0.1f).maxPromptTokens(16)
                .maxResponseTokens(16).evalEvery(0).seed(3).checkpointEvery(0).build();
    }

    static SftConfig sft() {
        return SftConfig.builder().steps(3).batchSize(7).blockSize(32).learningRate(1e-3f).evalFraction(0.1)
                .evalEvery(0).seed(1).checkpointEvery(0).build();
    }

    /** Pairs over the story openings: a longer and a shorter continuation, the longer one chosen. */
    static List<PreferencePairs.Pair> pairs(Tokenizer tok) {
        List<PreferencePairs.Pair> out = new ArrayList<>();
        String[] endings = {" and they played all day.", " and it was fun.", " but then it rained.", "."};
        for (int i = 0; i < 14; i++) {
            String prompt = Prompts.STORY_OPENINGS.get(i % Prompts.STORY_OPENINGS.size());
            out.add(new PreferencePairs.Pair(tok.encode(prompt, true, false), tok.encode(endings[i % 3], false, false),
                    tok.encode(endings[3], false, false)));
        }
        return out;
    }

    public static void main(String[] args) throws Exception {
        Path out = Path.of(args[0]);
        Path corpus = Models.dataDir().resolve("corpora/tinyshakespeare/input.txt");
        try (Models.Loaded m = Models.load("stories260K", null);
                RewardModel r = BuiltinRewards.resolve("builtin:sentiment", Models.dataDir())) {
            try (PpoTrainer t = new PpoTrainer(ppo(), m.model(), m.tokenizer(), m.tokenizerFile(), r, Prompts.STORY_OPENINGS)) {
                t.train(out.resolve("ppo"), RlFixtures.spec("ppo", ppo()), false, null);
            }
            try (GrpoTrainer t = new GrpoTrainer(grpo(), m.model(), m.tokenizer(), m.tokenizerFile(), r, Prompts.STORY_OPENINGS)) {
                t.train(out.resolve("grpo"), RlFixtures.spec("grpo", grpo()), false, null);
            }
            try (RlooTrainer t = new RlooTrainer(rloo(), m.model(), m.tokenizer(), m.tokenizerFile(), r, Prompts.STORY_OPENINGS)) {
                t.train(out.resolve("rloo"), RlFixtures.spec("rloo", rloo()), false, null);
            }
            List<PreferencePairs.Pair> pairs = pairs(m.tokenizer());
            try (DpoTrainer t = new DpoTrainer(dpo(), m.model(), m.tokenizer(), m.tokenizerFile(), pairs, pairs.subList(0, 4))) {
                t.train(out.resolve("dpo"), RlFixtures.spec("dpo", dpo()), false, null);
            }
            SftData data = SftData.read(corpus, m.tokenizer(), 64, 64, sft().blockSize(), sft().evalFraction(), 1);
            try (SftTrainer t = new SftTrainer(sft(), m.model(), m.tokenizer(), m.tokenizerFile(), data)) {
                t.train(out.resolve("sft"), RlFixtures.spec("sft", sft()), false, null);
            }
        }
    }
}
