package dev.tandem.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/** The sampler's SIMD exp against StrictMath.exp, at the edges and over the range softmax and SwiGLU use. */
class VectorExpTest {
    static final jdk.incubator.vector.VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    static float[] exp(float[] x) {
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i += S.length()) JavaSampler.exp(FloatVector.fromArray(S, x, i)).intoArray(out, i);
        return out;
    }

    @Test
    void withinTwoUlpsOfStrictMathOverTheRange() {
        int n = S.length() * 4096;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = -87f + 175f * i / (n - 1); // [-87, 88]
        float[] e = exp(x);
        double worst = 0;
        for (int i = 0; i < n; i++) {
            float want = (float) StrictMath.exp(x[i]);
            worst = Math.max(worst, Math.abs(e[i] - want) / Math.ulp(want));
        }
        assertTrue(worst <= 2, "worst error " + worst + " ulp");
    }

    @Test
    void edges() {
        float[] x = new float[S.length()];
        x[0] = Float.NEGATIVE_INFINITY;
        x[1] = -1000f;
        x[2] = 0f;
        x[3] = 1f;
        float[] e = exp(x);
        assertEquals(0f, e[0]);
        assertEquals(0f, e[1]);
        assertEquals(1f, e[2]);
        assertEquals((float) Math.E, e[3], Math.ulp((float) Math.E) * 2);
    }
}
