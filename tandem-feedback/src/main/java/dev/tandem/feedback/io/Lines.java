package dev.tandem.feedback.io;

import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.function.Function;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import java.util.zip.GZIPInputStream;

/** Lazily reads numbered lines of a (possibly gzipped) UTF-8 file and maps each to zero or more records. */
final class Lines {
    private Lines() {}

    /** One numbered line. */
    record Line(String file, long number, String text) {}

    /** Opens a file, transparently gunzipping it when it starts with the gzip magic bytes. Strict UTF-8. */
    static BufferedReader open(Path file) throws IOException {
        InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
        in.mark(2);
        int b1 = in.read(), b2 = in.read();
        in.reset();
        if (b1 == 0x1f && b2 == 0x8b) in = new GZIPInputStream(in, 1 << 16);
        var decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        return new BufferedReader(new InputStreamReader(in, decoder), 1 << 16);
    }

    /** A stream over the records of one file; closing the stream closes the file. */
    static <T> Stream<T> records(Path file, Function<Line, Stream<T>> perLine) {
        String name = file.toString();
        BufferedReader reader;
        try {
            reader = open(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + name + ": " + e.getMessage(), e);
        }
        Iterator<Line> it = new Iterator<>() {
            long number;
            String next = advance();

            private String advance() {
                try {
                    String s = reader.readLine();
                    if (s != null) number++;
                    return s;
                } catch (java.nio.charset.CharacterCodingException e) {
                    throw new PreferenceFormatException(name, number + 1, null, "not valid UTF-8");
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot read " + name + " at line " + (number + 1) + ": " + e.getMessage(), e);
                }
            }

            @Override public boolean hasNext() { return next != null; }

            @Override public Line next() {
                if (next == null) throw new NoSuchElementException();
                Line l = new Line(name, number, next);
                next = advance();
                return l;
            }
        };
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(it, Spliterator.ORDERED | Spliterator.NONNULL), false)
                .onClose(() -> {
                    try {
                        reader.close();
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                })
                .flatMap(perLine);
    }
}
