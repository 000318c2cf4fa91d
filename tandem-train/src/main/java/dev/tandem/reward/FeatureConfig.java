package dev.tandem.reward;

/**
 * Features of the sparse linear reward model.
 *
 * @param hashBits    hashed feature space of 2^bits weights (signed hashing), plus {@link Featurizer#SURFACE} dense
 *                    surface features after it
 * @param wordNgrams  word n-grams of length 1..wordNgrams (0 = none); words and punctuation marks are tokens
 * @param charMin     shortest character n-gram (0 = no character n-grams)
 * @param charMax     longest character n-gram
 * @param sublinearTf weight counts as {@code 1 + log(tf)}
 * @param idf         multiply by smoothed inverse document frequency from the training responses
 * @param surface     add the surface features (length, punctuation, casing, overlap with the prompt), standardised
 */
public record FeatureConfig(int hashBits, int wordNgrams, int charMin, int charMax, boolean sublinearTf, boolean idf,
        boolean surface) {

    public FeatureConfig {
        if (hashBits < 4 || hashBits > 26) throw new IllegalArgumentException("hashBits must be in 4..26, got " + hashBits);
        if (wordNgrams < 0 || wordNgrams > 4) throw new IllegalArgumentException("wordNgrams must be in 0..4, got " + wordNgrams);
        if (charMin < 0 || charMax < charMin || charMax > 8 || (charMin == 0) != (charMax == 0)) {
            throw new IllegalArgumentException("character n-grams must satisfy 1 <= charMin <= charMax <= 8 (or both 0), got "
                    + charMin + ".." + charMax);
        }
        if (wordNgrams == 0 && charMin == 0 && !surface) throw new IllegalArgumentException("no features enabled");
    }

    /** Words, character 3-5-grams, sublinear TF-IDF, surface features, 2^18 hashed weights. */
    public static FeatureConfig defaults() {
        return new FeatureConfig(18, 1, 3, 5, true, true, true);
    }

    public int hashedDim() { return 1 << hashBits; }

    /** All weights: the hashed space plus the surface block. */
    public int dim() { return hashedDim() + Featurizer.SURFACE; }
}
