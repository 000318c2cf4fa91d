package dev.tandem.feedback;

/** Queue state of a task relative to its dataset's overlap. */
public enum TaskStatus {
    /** Nobody holds or has judged it. */
    OPEN,
    /** Leased or partly judged, fewer judgements than the overlap. */
    IN_PROGRESS,
    /** Has at least {@code overlap} judgements. */
    DONE
}
