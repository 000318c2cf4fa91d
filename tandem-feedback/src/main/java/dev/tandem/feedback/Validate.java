package dev.tandem.feedback;

/** Small argument checks shared by the records' constructors. */
final class Validate {
    private Validate() {}

    static String name(String s, String what) {
        if (s == null || s.isBlank()) throw new IllegalArgumentException(what + " must not be blank");
        if (s.length() > 200) throw new IllegalArgumentException(what + " is longer than 200 characters");
        return s;
    }

    static String text(String s, String what) {
        if (s == null) throw new IllegalArgumentException(what + " must not be null");
        return s;
    }

    static String comment(String s) {
        if (s != null && s.length() > 10_000) throw new IllegalArgumentException("comment is longer than 10000 characters");
        return s == null || s.isBlank() ? null : s;
    }
}
