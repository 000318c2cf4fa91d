package dev.tandem.feedback;

/** Who (or what) made a judgement. Stored as the lower-case name with dashes, e.g. {@code ai-judge}. */
public enum AnnotatorKind {
    /** A person labelling in the web UI. */
    HUMAN,
    /** A person who may also manage datasets; also labels like {@link #HUMAN}. */
    ADMIN,
    /** Labels that came with an imported data set, e.g. {@code import:hh-rlhf}. */
    EXTERNAL_IMPORT,
    /** A programmatic stand-in for people (tests, demos); must be shown as simulated wherever it appears. */
    SIMULATED,
    /** A model acting as judge; its judgements usually carry a confidence. */
    AI_JUDGE;

    /** The stored and wire name: {@code human}, {@code admin}, {@code external-import}, {@code simulated}, {@code ai-judge}. */
    public String wireName() {
        return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }

    /** Inverse of {@link #wireName()}; also accepts the enum constant name. */
    public static AnnotatorKind fromWire(String s) {
        return valueOf(s.trim().toUpperCase(java.util.Locale.ROOT).replace('-', '_'));
    }

    /** True for the kinds that are people. */
    public boolean isHuman() {
        return this == HUMAN || this == ADMIN;
    }
}
