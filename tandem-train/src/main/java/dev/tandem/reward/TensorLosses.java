package dev.tandem.reward;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import dev.tandem.model.GraphScalars;

import java.util.List;

/**
 * The losses of {@link Losses} on the tensor engine, for a whole minibatch at once: the rewards of every response
 * of every comparison come in as one vector (comparison after comparison, each in {@link Comparison#responses()}
 * order, e.g. {@code [c0, r0, c1, r1, …]} for pairs), index arrays pick each kind's operands, and the result is
 * the mean loss per comparison, differentiable with respect to the rewards. No per-example work happens outside the
 * engine: the host only builds the index arrays. Scalars that autograd saves are {@link GraphScalars} (kept alive until
 * the rewards' manager closes, after the backward pass).
 */
public final class TensorLosses {
    private TensorLosses() {}

    /** Number of reward rows a batch of comparisons needs. */
    public static int rows(List<? extends Comparison> batch) {
        int n = 0;
        for (Comparison c : batch) n += c.responses().size();
        return n;
    }

    /**
     * Mean loss of {@code batch} given {@code rewards} [M] (M = {@link #rows}); a scalar in the rewards' manager.
     */
    public static NDArray meanLoss(NDArray rewards, List<? extends Comparison> batch, LossConfig cfg) {
        int m = rows(batch);
        if (rewards.getShape().size() != m) {
            throw new IllegalArgumentException("expected " + m + " rewards, got shape " + rewards.getShape());
        }
        NDManager nd = rewards.getManager();
        NDArray r = rewards.reshape(m);
        int nPref = 0, nTie = 0, nRank = 0, nRated = 0, kMax = 2;
        for (Comparison c : batch) {
            if (c instanceof Comparison.Preferred) nPref++;
            else if (c instanceof Comparison.Tie) nTie++;
            else if (c instanceof Comparison.Rated) nRated++;
            else {
                nRank++;
                kMax = Math.max(kMax, c.responses().size());
            }
        }
        long[] pc = new long[nPref], pr = new long[nPref], ta = new long[nTie], tb = new long[nTie];
        float[] margins = new float[nPref];
        long[] rankIdx = new long[nRank * kMax];
        float[] valid = new float[nRank * kMax];
        float[] cover = new float[nRank * kMax * kMax];
        long[] ratedIdx = new long[nRated];
        float[] ratedScore = new float[nRated];
        float[] unitOf = new float[batch.size() * m]; // [U, M] one-hot: rows of each comparison, for centring
        int off = 0, ip = 0, it = 0, ik = 0, iq = 0;
        for (int u = 0; u < batch.size(); u++) {
            Comparison c = batch.get(u);
            int k = c.responses().size();
            if (k > 1) for (int j = 0; j < k; j++) unitOf[u * m + off + j] = 1f;
            if (c instanceof Comparison.Rated q) {
                ratedIdx[iq] = off;
                ratedScore[iq++] = q.score();
            } else if (c instanceof Comparison.Preferred p) {
                pc[ip] = off;
                pr[ip] = off + 1;
                margins[ip++] = (float) p.margin();
            } else if (c instanceof Comparison.Tie) {
                ta[it] = off;
                tb[it++] = off + 1;
            } else {
                int[] ranks = ((Comparison.Ranking) c).ranks();
                for (int i = 0; i < kMax; i++) {
                    int base = ik * kMax;
                    rankIdx[base + i] = i < k ? off + i : off; // padding reads a real reward, masked below
                    valid[base + i] = i < k ? 1f : 0f;
                    for (int j = 0; j < kMax; j++) {
                        boolean inDen = i < k ? j < k && ranks[j] >= ranks[i] : j == i; // padded rows: self only
                        cover[(base + i) * kMax + j] = inDen ? 1f : 0f;
                    }
                }
                ik++;
            }
            off += k;
        }
        NDArray total = nd.zeros(new Shape());
        boolean tiesModelled = cfg.ties() != LossConfig.TieModel.DROP;
        if (nPref > 0) {
            NDArray d = r.take(nd.create(pc)).sub(r.take(nd.create(pr))).sub(nd.create(margins));
            NDArray l = switch (cfg.ties()) {
                case DROP -> Activation.softPlus(d.neg());
                case RAO_KUPPER -> Activation.softPlus(d.sub((float) Math.log(cfg.tieParameter())).neg());
                case DAVIDSON -> davidsonLogZ(d, cfg.tieParameter()).sub(d.mul(GraphScalars.of(d, 0.5f)));
            };
            total = total.add(l.sum());
        }
        if (nTie > 0) {
            if (!tiesModelled) throw new IllegalArgumentException("ties in a batch while ties are dropped");
            NDArray d = r.take(nd.create(ta)).sub(r.take(nd.create(tb)));
            NDArray l;
            if (cfg.ties() == LossConfig.TieModel.RAO_KUPPER) {
                float eta = (float) Math.log(cfg.tieParameter());
                NDArray u = d.neg();
                NDArray logP = u.add((float) Math.log(2 * Math.sinh(eta)))
                        .sub(Activation.softPlus(u.add(eta))).sub(Activation.softPlus(u.sub(eta)));
                l = logP.neg();
            } else {
                l = davidsonLogZ(d, cfg.tieParameter()).sub((float) Math.log(cfg.tieParameter()));
            }
            total = total.add(l.sum());
        }
        if (nRank > 0) {
            NDArray rr = r.take(nd.create(rankIdx, new Shape(nRank, kMax)));                  // [R, K]
            NDArray mx = rr.max(new int[] {1}, true).stopGradient();                          // [R, 1]
            NDArray e = rr.sub(mx).exp().reshape(nRank, 1, kMax);                             // [R, 1, K]
            NDArray den = e.mul(nd.create(cover, new Shape(nRank, kMax, kMax))).sum(new int[] {2}); // [R, K]
            NDArray logDen = den.log().add(mx);
            NDArray l = logDen.sub(rr).mul(nd.create(valid, new Shape(nRank, kMax)));
            total = total.add(l.sum());
        }
        if (nRated > 0) {
            NDArray rq = r.take(nd.create(ratedIdx));
            NDArray s = nd.create(ratedScore);
            NDArray l;
            if (cfg.ratings() == LossConfig.RatingLoss.REGRESSION) {
                l = rq.sub(s.sub(4f)).square();
            } else {
                // ordinal: lowest score softplus(r − c_1), highest softplus(c_6 − r), else −log(σ(u + ½) − σ(u − ½))
                float lo = Comparison.Rated.MIN, hi = Comparison.Rated.MAX;
                NDArray isLo = s.eq(lo).toType(ai.djl.ndarray.types.DataType.FLOAT32, false);
                NDArray isHi = s.eq(hi).toType(ai.djl.ndarray.types.DataType.FLOAT32, false);
                NDArray mid = isLo.add(isHi).neg().add(1f);
                NDArray u = s.sub(4f).sub(rq);
                NDArray logP = u.add((float) Math.log(2 * Math.sinh(0.5)))
                        .sub(Activation.softPlus(u.add(0.5f))).sub(Activation.softPlus(u.sub(0.5f)));
                l = Activation.softPlus(rq.sub(lo - 3.5f)).mul(isLo)
                        .add(Activation.softPlus(rq.neg().add(hi - 4.5f)).mul(isHi))
                        .add(logP.neg().mul(mid));
            }
            total = total.add(l.sum());
        }
        if (cfg.centerCoefficient() > 0) {
            NDArray sums = nd.create(unitOf, new Shape(batch.size(), m)).matMul(r.reshape(m, 1)); // [U, 1]
            NDArray sq = sums.square().sum();
            total = total.add(sq.mul(GraphScalars.of(sq, (float) cfg.centerCoefficient())));
        }
        return total.div(GraphScalars.of(total, batch.size()));
    }

    /** {@code log(e^{x/2} + e^{−x/2} + ν)}, stable. */
    private static NDArray davidsonLogZ(NDArray x, double nu) {
        NDArray half = x.mul(GraphScalars.of(x, 0.5f));
        float logNu = (float) Math.log(nu);
        NDArray mx = half.stopGradient().abs().maximum(logNu);
        NDArray s = half.sub(mx).exp().add(half.neg().sub(mx).exp()).add(mx.neg().add(logNu).exp());
        return s.log().add(mx);
    }
}
