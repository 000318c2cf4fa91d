package dev.tandem.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import java.util.List;

/** Gradient utilities. */
public final class Gradients {
    private Gradients() {}

    /**
     * Clips gradients to a global L2 norm, in place, as {@code torch.nn.utils.clip_grad_norm_}.
     *
     * @param maxNorm the bound; {@code <= 0} disables clipping
     * @return the global norm before clipping (NaN or infinite if any gradient is)
     */
    public static float clipNorm(List<NDArray> params, float maxNorm) {
        if (params.isEmpty()) return 0f;
        try (NDManager tmp = params.get(0).getManager().newSubManager()) {
            NDArray total = null;
            NDArray[] grads = new NDArray[params.size()];
            for (int i = 0; i < params.size(); i++) {
                grads[i] = params.get(i).getGradient();
                grads[i].attach(tmp);
                NDArray sq = grads[i].square().sum();
                total = total == null ? sq : total.add(sq);
            }
            float norm = (float) Math.sqrt(total.getFloat());
            if (maxNorm > 0 && Float.isFinite(norm) && norm > maxNorm) {
                float scale = maxNorm / (norm + 1e-6f);
                for (NDArray g : grads) g.muli(scale);
            }
            return norm;
        }
    }
}
