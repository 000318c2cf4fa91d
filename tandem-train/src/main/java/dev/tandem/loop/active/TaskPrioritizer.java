package dev.tandem.loop.active;

import dev.tandem.feedback.store.FeedbackStore;
import dev.tandem.loop.judge.AiJudge;
import dev.tandem.loop.judge.JudgePass;
import dev.tandem.loop.judge.OpenPair;
import dev.tandem.reward.Losses;
import dev.tandem.reward.RewardEnsemble;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Active learning for the queue: sets the priority of every open pairwise task of a dataset from how much a
 * reward-model ensemble disagrees about it ({@link RewardEnsemble#disagreement}: the standard deviation of the
 * members' σ(r_A − r_B)), so people label first the comparisons the reward model would learn most from. The
 * priority is {@code round(}{@value JudgePass#SCALE}{@code × disagreement)}.
 *
 * <p>For the live loop: call {@link #reprioritise(String, RewardEnsemble)} (or, with a single reward model,
 * {@link #reprioritiseByUncertainty}) after each refill (new tasks arrive with priority 0 and would otherwise wait
 * behind every re-prioritised one) and after each reward-model retrain.
 */
public final class TaskPrioritizer {
    private final FeedbackStore store;

    public TaskPrioritizer(FeedbackStore store) {
        this.store = Objects.requireNonNull(store, "store");
    }

    /**
     * What a re-prioritisation did.
     *
     * @param openTasks       open pairwise tasks scored
     * @param changed         priorities that changed
     * @param meanDisagreement mean ensemble disagreement over them (NaN when there are none)
     * @param maxDisagreement  largest disagreement (NaN when there are none)
     */
    public record Result(int openTasks, int changed, double meanDisagreement, double maxDisagreement) {}

    /** Scores the named dataset's open pairwise tasks with the ensemble and sets their priorities (one transaction). */
    public Result reprioritise(String dataset, RewardEnsemble ensemble) {
        List<OpenPair> open = OpenPair.of(store, dataset);
        if (open.isEmpty()) return new Result(0, 0, Double.NaN, Double.NaN);
        float[] dis = ensemble.disagreement(open.stream().map(p -> p.pair().prompt()).toList(),
                open.stream().map(p -> p.pair().a()).toList(), open.stream().map(p -> p.pair().b()).toList());
        double[] x = new double[dis.length];
        for (int i = 0; i < dis.length; i++) x[i] = Float.isFinite(dis[i]) ? dis[i] : 0;
        return setPriorities(open, x);
    }

    /**
     * With a single reward model (no ensemble): sets each open pairwise task's priority from how unsure the model is,
     * {@code round(SCALE × (1 − |2·σ(r_A − r_B) − 1|))}: pairs it scores as a toss-up first. Nothing is stored but the
     * priorities (one transaction). {@link Result}'s disagreement fields hold this uncertainty.
     */
    public Result reprioritiseByUncertainty(String dataset, dev.tandem.reward.RewardModel model) {
        List<OpenPair> open = OpenPair.of(store, dataset);
        if (open.isEmpty()) return new Result(0, 0, Double.NaN, Double.NaN);
        List<String> prompts = open.stream().map(p -> p.pair().prompt()).toList();
        float[] ra = model.score(prompts, open.stream().map(p -> p.pair().a()).toList());
        float[] rb = model.score(prompts, open.stream().map(p -> p.pair().b()).toList());
        double[] u = new double[ra.length];
        for (int i = 0; i < ra.length; i++) {
            double diff = (double) ra[i] - rb[i];
            double pA = Double.isFinite(diff) ? Losses.sigmoid(diff) : 0.5;
            u[i] = 1 - Math.abs(2 * pA - 1);
        }
        return setPriorities(open, u);
    }

    /** Sets each open task's priority from its score (one transaction, changed ones only); mean and max of the scores. */
    private Result setPriorities(List<OpenPair> open, double[] scores) {
        Map<Long, Integer> changes = new HashMap<>();
        double sum = 0, max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < scores.length; i++) {
            sum += scores[i];
            max = Math.max(max, scores[i]);
            int p = priority(scores[i]);
            if (open.get(i).task().priority() != p) changes.put(open.get(i).task().id(), p);
        }
        store.setPriorities(changes);
        return new Result(open.size(), changes.size(), sum / scores.length, max);
    }

    /**
     * Runs AI judges over the dataset's open pairwise tasks, stores their labels (kind {@code ai-judge}, with
     * confidence, no overlap slots used) and sets priorities so the tasks the judges are least sure of or disagree
     * about come first; see {@link JudgePass}.
     */
    public JudgePass.Report reprioritise(String dataset, List<? extends AiJudge> judges) {
        return new JudgePass(store).run(dataset, judges);
    }

    /** The queue priority of a disagreement. */
    public static int priority(double disagreement) {
        return (int) Math.round(JudgePass.SCALE * Math.max(0, disagreement));
    }

    /**
     * The indices of the {@code k} largest scores, largest first (ties: lower index first); all indices if
     * {@code k >= scores.length}. Active selection's pick of the next batch.
     */
    public static int[] topK(double[] scores, int k) {
        Integer[] idx = new Integer[scores.length];
        for (int i = 0; i < idx.length; i++) idx[i] = i;
        Arrays.sort(idx, (a, b) -> {
            int c = Double.compare(scores[b], scores[a]);
            return c != 0 ? c : Integer.compare(a, b);
        });
        int n = Math.min(k, idx.length);
        int[] out = new int[n];
        for (int i = 0; i < n; i++) out[i] = idx[i];
        return out;
    }
}
