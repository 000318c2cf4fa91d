package dev.tandem.model;

/** Rotary-embedding angles exactly as llama2.c computes them, shared by both samplers and the trainer. */
final class Rope {
    private Rope() {}

    /**
     * cos and sin of pos·θ_i for every position and pair: two arrays [seqLen][hs/2], θ_i = theta^(-2i/hs) for the
     * pair (2i, 2i+1) of every head.
     */
    static float[][] tables(LlamaConfig c) {
        int hs = c.headSize(), half = hs / 2;
        float[] cos = new float[c.seqLen() * half], sin = new float[c.seqLen() * half];
        for (int pos = 0; pos < c.seqLen(); pos++) {
            for (int i = 0; i < half; i++) {
                float freq = (float) (1.0 / Math.pow(c.ropeTheta(), (2 * i) / (double) hs));
                float val = pos * freq;
                cos[pos * half + i] = (float) Math.cos(val);
                sin[pos * half + i] = (float) Math.sin(val);
            }
        }
        return new float[][] {cos, sin};
    }
}
