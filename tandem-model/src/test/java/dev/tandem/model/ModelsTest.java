package dev.tandem.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Finding known models, and downloading them — against a local HTTP server, never the network. */
class ModelsTest {
    @TempDir Path tmp;

    static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    @Test
    void downloadsMissingFilesWithChecksumAndAtomicRename() throws Exception {
        byte[] weights = "pretend weights".getBytes(StandardCharsets.UTF_8), tok = "pretend tokenizer".getBytes(StandardCharsets.UTF_8);
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/m/", ex -> {
            byte[] body = ex.getRequestURI().getPath().endsWith("w.bin") ? weights
                    : ex.getRequestURI().getPath().endsWith("t.bin") ? tok : null;
            if (body == null) {
                ex.sendResponseHeaders(404, -1);
            } else {
                ex.sendResponseHeaders(200, body.length);
                ex.getResponseBody().write(body);
            }
            ex.close();
        });
        server.start();
        try {
            String base = "http://127.0.0.1:" + server.getAddress().getPort() + "/m/";
            Models.Known good = new Models.Known("m", "w.bin", "t.bin", base, Map.of("w.bin", sha256(weights), "t.bin", sha256(tok)));
            Path dir = tmp.resolve("models/m");
            Models.ensurePresent(good, dir, true);
            assertArrayEquals(weights, Files.readAllBytes(dir.resolve("w.bin")));
            assertArrayEquals(tok, Files.readAllBytes(dir.resolve("t.bin")));
            try (Stream<Path> files = Files.list(dir)) {
                assertTrue(files.noneMatch(p -> p.getFileName().toString().endsWith(".part")), "no partial files left");
            }

            Models.Known corrupt = new Models.Known("c", "w.bin", "t.bin", base, Map.of("w.bin", "00".repeat(32), "t.bin", sha256(tok)));
            Path cdir = tmp.resolve("models/c");
            IOException e = assertThrows(IOException.class, () -> Models.ensurePresent(corrupt, cdir, true));
            assertTrue(e.getMessage().contains("checksum mismatch"), e.getMessage());
            assertFalse(Files.exists(cdir.resolve("w.bin")), "a corrupt download is not kept");

            Models.Known missing = new Models.Known("x", "nothere.bin", "t.bin", base, Map.of());
            e = assertThrows(IOException.class, () -> Models.ensurePresent(missing, tmp.resolve("models/x"), true));
            assertTrue(e.getMessage().contains("HTTP 404") && e.getMessage().contains("Copy nothere.bin"), e.getMessage());
        } finally {
            server.stop(0);
        }
    }

    @Test
    void anExplicitDataDirectoryIsNeverDownloadedInto() {
        Models.Known stories = Models.KNOWN.get("stories260K");
        Path dir = tmp.resolve("models/stories260K");
        IOException e = assertThrows(IOException.class, () -> Models.ensurePresent(stories, dir, false));
        assertTrue(e.getMessage().contains("missing from TANDEM_DATA_DIR"), e.getMessage());
        assertTrue(e.getMessage().contains("stories260K.bin tok512.bin"), e.getMessage());
        assertFalse(Files.exists(dir));
    }

    @Test
    void unknownNamesAndMissingTokenizersAreExplained() throws Exception {
        IOException e = assertThrows(IOException.class, () -> Models.load("no-such-model", null));
        assertTrue(e.getMessage().contains("neither a known name [stories260K]"), e.getMessage());
        try (Llama m = TestModels.random(1)) {
            Path bin = tmp.resolve("lonely.bin");
            Llama2cCheckpoint.write(m, bin);
            e = assertThrows(IOException.class, () -> Models.load(bin.toString(), null));
            assertTrue(e.getMessage().contains("pass --tokenizer FILE"), e.getMessage());
        }
    }

    @Test
    void tokenizerThatDoesNotFitTheModelIsRefused() throws Exception {
        Path tok = TestModels.realData("models/stories260K/tok512.bin");
        try (Llama m = TestModels.random(1)) { // vocabulary of 37, not 512
            Path bin = tmp.resolve("small.bin");
            Llama2cCheckpoint.write(m, bin);
            IOException e = assertThrows(IOException.class, () -> Models.load(bin.toString(), tok));
            assertTrue(e.getMessage().contains("does not fit model"), e.getMessage());
        }
    }
}
