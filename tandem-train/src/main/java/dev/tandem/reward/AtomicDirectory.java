package dev.tandem.reward;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Writes a directory atomically: the content goes to a temporary sibling, every file is fsynced, then the sibling
 * is renamed into place (an existing directory is moved aside first and deleted after). A reader never sees a
 * half-written directory; a kill leaves either the old or the new one (plus a stray temporary, ignored).
 */
final class AtomicDirectory {
    private AtomicDirectory() {}

    interface Writer {
        void write(Path dir) throws IOException;
    }

    static void write(Path target, Writer writer) throws IOException {
        Path t = target.toAbsolutePath().normalize();
        Path parent = t.getParent();
        Files.createDirectories(parent);
        Path tmp = parent.resolve("." + t.getFileName() + ".tmp-" + UUID.randomUUID());
        Files.createDirectory(tmp);
        try {
            writer.write(tmp);
            try (Stream<Path> walk = Files.walk(tmp)) {
                for (Path p : (Iterable<Path>) walk::iterator) fsync(p);
            }
            Path old = null;
            if (Files.exists(t)) {
                old = parent.resolve("." + t.getFileName() + ".old-" + UUID.randomUUID());
                move(t, old);
            }
            move(tmp, t);
            fsync(parent);
            if (old != null) delete(old);
        } catch (IOException | RuntimeException e) {
            delete(tmp);
            throw e;
        }
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("cannot rename " + from + " to " + to + " atomically", e);
        }
    }

    private static void fsync(Path p) throws IOException {
        boolean dir = Files.isDirectory(p);
        try (FileChannel ch = FileChannel.open(p, dir ? StandardOpenOption.READ : StandardOpenOption.WRITE)) {
            ch.force(true);
        } catch (IOException e) {
            if (!dir) throw e;
        }
    }

    static void delete(Path root) throws IOException {
        if (!Files.exists(root)) return;
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
