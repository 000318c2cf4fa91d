package dev.tandem.feedback;

/** The database failed (I/O, connection, unexpected SQL error). Nothing of the failed call was committed. */
public class StorageException extends RuntimeException {
    public StorageException(String message, Throwable cause) { super(message, cause); }
}
