package dev.tandem.model;

import dev.tandem.model.tokenizer.Tokenizer;
import dev.tandem.model.tokenizer.Tokenizers;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;

/**
 * Finds models by name or path.
 *
 * <ul>
 *   <li>{@code --model stories260K} resolves to {@code $TANDEM_DATA_DIR/models/stories260K/} (default data
 *       directory {@code ~/.cache/tandem}). When TANDEM_DATA_DIR is not set and the model is missing, it is
 *       downloaded from the public Hugging Face repository karpathy/tinyllamas, with a progress bar and a
 *       checksum check.</li>
 *   <li>{@code --model DIR} is a Tandem checkpoint directory (its tokenizer travels with it).</li>
 *   <li>{@code --model FILE.bin} is a llama2.c checkpoint; its tokenizer comes from {@code --tokenizer}, or from
 *       {@code tok<vocab>.bin} / {@code tokenizer.bin} beside it.</li>
 * </ul>
 */
public final class Models {
    private Models() {}

    /** A model with its tokenizer; closing it frees both. */
    public record Loaded(Llama model, Tokenizer tokenizer, Path tokenizerFile, String name) implements AutoCloseable {
        @Override
        public void close() {
            tokenizer.close();
            model.close();
        }
    }

    /** A model known by name: its files and their SHA-256 (from the public source). */
    record Known(String directory, String weights, String tokenizer, String baseUrl, Map<String, String> sha256) {}

    static final Map<String, Known> KNOWN = Map.of(
            "stories260K", new Known("stories260K", "stories260K.bin", "tok512.bin",
                    "https://huggingface.co/karpathy/tinyllamas/resolve/main/stories260K/",
                    Map.of("stories260K.bin", "b0a507e7ad0f626624f17112325e66691f9076d622e1d3274d103d00299f2696",
                            "tok512.bin", "037cb335abb25d1fa9e8ecae30ed2a3a8ace9302862ebcdc05d51a6bbb10c312")));

    /** The data directory: {@code $TANDEM_DATA_DIR}, or {@code ~/.cache/tandem}. */
    public static Path dataDir() {
        String env = System.getenv("TANDEM_DATA_DIR");
        if (env != null && !env.isBlank()) return Path.of(env).toAbsolutePath();
        return Path.of(System.getProperty("user.home"), ".cache", "tandem");
    }

    /** Whether the data directory was chosen explicitly (then nothing is downloaded into it). */
    static boolean dataDirExplicit() {
        String env = System.getenv("TANDEM_DATA_DIR");
        return env != null && !env.isBlank();
    }

    /**
     * Loads a model by name or path.
     *
     * @param ref       a known name (stories260K), a Tandem checkpoint directory, or a llama2.c .bin file
     * @param tokenizer an explicit tokenizer file, or null
     */
    public static Loaded load(String ref, Path tokenizer) throws IOException {
        TensorEngine.start();
        Known known = KNOWN.get(ref);
        Path weights;
        Path tok = tokenizer;
        if (known != null) {
            Path dir = dataDir().resolve("models").resolve(known.directory());
            ensurePresent(known, dir, !dataDirExplicit());
            weights = dir.resolve(known.weights());
            if (tok == null) tok = dir.resolve(known.tokenizer());
        } else {
            weights = Path.of(ref);
            if (!Files.exists(weights)) {
                throw new IOException("model '" + ref + "' is neither a known name " + KNOWN.keySet()
                        + " nor an existing file or directory");
            }
        }
        Llama model;
        if (Files.isDirectory(weights)) {
            Checkpoint.Info info = Checkpoint.info(weights);
            if (tok == null) tok = info.tokenizerFile();
            model = Checkpoint.load(weights);
        } else {
            model = Llama2cCheckpoint.load(weights);
            if (tok == null) tok = besideLlama2c(weights, model.config().vocabSize());
        }
        if (tok == null || !Files.isRegularFile(tok)) {
            model.close();
            throw new IOException("no tokenizer for " + weights + (tok == null ? "" : ": " + tok + " does not exist")
                    + "; pass --tokenizer FILE (llama2.c tok*.bin or Hugging Face tokenizer.json)");
        }
        try {
            Tokenizer t = Tokenizers.load(tok, model.config().vocabSize());
            return new Loaded(model, t, tok, ref);
        } catch (IOException | RuntimeException e) {
            model.close();
            throw new IOException("tokenizer " + tok + " does not fit model " + weights + ": " + e.getMessage(), e);
        }
    }

    private static Path besideLlama2c(Path weights, int vocab) {
        Path dir = weights.toAbsolutePath().getParent();
        for (String name : new String[] {"tok" + vocab + ".bin", "tokenizer.bin"}) {
            Path p = dir.resolve(name);
            if (Files.isRegularFile(p)) return p;
        }
        return null;
    }

    /**
     * Makes sure a known model's files are in {@code dir}, downloading the missing ones when {@code mayDownload}
     * (not when the user chose the data directory: then a missing file is their setup's problem, said plainly).
     */
    static void ensurePresent(Known known, Path dir, boolean mayDownload) throws IOException {
        boolean missingWeights = !Files.isRegularFile(dir.resolve(known.weights()));
        boolean missingTok = !Files.isRegularFile(dir.resolve(known.tokenizer()));
        if (!missingWeights && !missingTok) return;
        String files = (missingWeights ? known.weights() + " " : "") + (missingTok ? known.tokenizer() : "");
        if (!mayDownload) {
            throw new IOException("model " + known.directory() + " is missing from TANDEM_DATA_DIR: " + dir
                    + " lacks " + files.trim() + ". Put the files there (from " + known.baseUrl() + ") or unset "
                    + "TANDEM_DATA_DIR to download them into ~/.cache/tandem.");
        }
        Files.createDirectories(dir);
        for (String f : new String[] {known.weights(), known.tokenizer()}) {
            if (Files.isRegularFile(dir.resolve(f))) continue;
            try {
                download(URI.create(known.baseUrl() + f), dir.resolve(f), known.sha256().get(f));
            } catch (IOException e) {
                throw new IOException("model " + known.directory() + " is not in " + dir + " and downloading "
                        + known.baseUrl() + f + " failed (" + e.getMessage() + "). Offline? Copy " + files.trim()
                        + " into " + dir + ", or set TANDEM_DATA_DIR to a directory with models/"
                        + known.directory() + "/.", e);
            }
        }
    }

    /** Downloads to a temporary file, checks the SHA-256, then renames into place. */
    static void download(URI uri, Path target, String sha256) throws IOException {
        HttpClient client = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL)
                .connectTimeout(Duration.ofSeconds(20)).build();
        HttpRequest req = HttpRequest.newBuilder(uri).timeout(Duration.ofMinutes(5)).GET().build();
        Path tmp = Files.createTempFile(target.getParent(), "." + target.getFileName(), ".part");
        try {
            HttpResponse<InputStream> resp = client.send(req, HttpResponse.BodyHandlers.ofInputStream());
            if (resp.statusCode() != 200) throw new IOException("HTTP " + resp.statusCode());
            long length = resp.headers().firstValueAsLong("content-length").orElse(-1);
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            try (InputStream in = new DigestInputStream(resp.body(), md);
                    OutputStream out = Files.newOutputStream(tmp);
                    Progress bar = new Progress("download " + target.getFileName(), Math.max(length, 1))) {
                byte[] buf = new byte[1 << 16];
                long total = 0;
                for (int n; (n = in.read(buf)) > 0; ) {
                    out.write(buf, 0, n);
                    total += n;
                    bar.update(length > 0 ? total : 0, total / 1024 + " KiB");
                }
            }
            String got = HexFormat.of().formatHex(md.digest());
            if (sha256 != null && !sha256.equals(got)) {
                throw new IOException("checksum mismatch: expected sha256 " + sha256 + ", got " + got);
            }
            Checkpoint.fsync(tmp, false);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
