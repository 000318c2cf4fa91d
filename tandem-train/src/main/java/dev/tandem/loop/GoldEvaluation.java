package dev.tandem.loop;

import dev.tandem.model.Generation;
import dev.tandem.model.Llama;
import dev.tandem.model.Progress;
import dev.tandem.model.Sampler;
import dev.tandem.model.SamplingConfig;
import dev.tandem.model.tokenizer.Tokenizer;
import dev.tandem.reward.RewardModel;

import java.util.ArrayList;
import java.util.List;

/**
 * Step 5: the tuned policy against the original on FRESH prompts, judged by the hidden gold preference. Each policy
 * samples {@code samplesPerPrompt} responses per prompt with the same sampling settings and seeds; response i of
 * the tuned policy meets response i of the original, the higher gold score wins and a tie counts half.
 *
 * @param winRate          the tuned policy's record against the original
 * @param kl               mean KL(tuned ‖ original) in nats per response, on the tuned policy's responses
 * @param klStdErr         standard error of {@code kl}
 * @param goldTuned        mean gold score of the tuned policy's responses
 * @param goldOriginal     mean gold score of the original's responses
 * @param proxyTuned       mean reward-model score of the tuned policy's responses
 * @param proxyOriginal    mean reward-model score of the original's responses
 * @param lengthTuned      mean response length in tokens, tuned
 * @param lengthOriginal   mean response length in tokens, original
 * @param examples         before/after pairs: the first sample for the first few fresh prompts (not cherry-picked)
 */
public record GoldEvaluation(WinRate winRate, double kl, double klStdErr, double goldTuned, double goldOriginal,
        double proxyTuned, double proxyOriginal, double lengthTuned, double lengthOriginal, List<Example> examples) {

    /** One fresh prompt with the original's and the tuned policy's story. */
    public record Example(String prompt, String before, String after, double goldBefore, double goldAfter) {}

    public static GoldEvaluation run(Llama tuned, Llama original, Tokenizer tok, List<String> freshPrompts,
            int samplesPerPrompt, SamplingConfig sampling, GoldJudge gold, RewardModel reward, int exampleCount) {
        int n = freshPrompts.size() * samplesPerPrompt;
        int[][] rows = new int[n][];
        List<String> rowPrompts = new ArrayList<>(n);
        for (int p = 0; p < freshPrompts.size(); p++) {
            int[] t = tok.encode(freshPrompts.get(p), true, false);
            for (int s = 0; s < samplesPerPrompt; s++) {
                rows[p * samplesPerPrompt + s] = t;
                rowPrompts.add(freshPrompts.get(p));
            }
        }
        Generation before, after;
        double[] kl;
        try (Progress bar = new Progress("evaluate on fresh prompts", 3)) {
            before = Sampler.forModel(original, tok).generate(rows, sampling);
            bar.update(1, "original sampled");
            after = Sampler.forModel(tuned, tok).generate(rows, sampling);
            bar.update(2, "tuned sampled");
            kl = PolicyProbe.sequenceKl(tuned, original, rows, after.tokens(), sampling.logProbTemperature());
            bar.update(3, "KL scored");
        }
        List<String> textsBefore = texts(tok, before), textsAfter = texts(tok, after);
        double[] gb = gold.scores(textsBefore), ga = gold.scores(textsAfter);
        float[] pb = reward.score(rowPrompts, textsBefore), pa = reward.score(rowPrompts, textsAfter);
        List<Example> examples = new ArrayList<>();
        for (int p = 0; p < Math.min(exampleCount, freshPrompts.size()); p++) {
            int i = p * samplesPerPrompt;
            examples.add(new Example(freshPrompts.get(p), textsBefore.get(i), textsAfter.get(i), gb[i], ga[i]));
        }
        double klMean = PolicyProbe.mean(kl), var = 0;
        for (double k : kl) var += (k - klMean) * (k - klMean);
        double klSe = kl.length > 1 ? Math.sqrt(var / (kl.length - 1) / kl.length) : Double.NaN;
        return new GoldEvaluation(WinRate.of(ga, gb), klMean, klSe, PolicyProbe.mean(ga), PolicyProbe.mean(gb),
                PolicyProbe.mean(pa), PolicyProbe.mean(pb), meanLength(after), meanLength(before), List.copyOf(examples));
    }

    private static List<String> texts(Tokenizer tok, Generation g) {
        List<String> out = new ArrayList<>(g.rows());
        for (int[] t : g.tokens()) out.add(PairGenerator.text(tok, t));
        return out;
    }

    private static double meanLength(Generation g) {
        return g.tokenCount() / (double) g.rows();
    }
}
