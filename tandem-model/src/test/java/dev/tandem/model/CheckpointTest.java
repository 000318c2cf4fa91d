package dev.tandem.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointTest {
    @TempDir Path tmp;

    static float[] logits(Llama model) {
        try (NDManager m = model.manager().newSubManager()) {
            int[] tokens = {1, 4, 9, 16, 25, 36};
            int t = tokens.length;
            NDArray hidden = model.forward(m.create(tokens, new Shape(1, t)), Masks.positions(m, new int[] {0}, t, 0),
                    Masks.bias(m, new int[] {0}, new int[] {t}, t), null, 0);
            float[] lm = model.logits(hidden).toFloatArray();
            if (!model.hasScalarHead()) return lm;
            float[] head = model.scalar(hidden).toFloatArray();
            float[] both = Arrays.copyOf(lm, lm.length + head.length);
            System.arraycopy(head, 0, both, lm.length, head.length);
            return both;
        }
    }

    @Test
    void saveLoadRoundTripGivesIdenticalLogits() throws IOException {
        TensorEngine.start();
        try (Llama model = TestModels.random(1); Llama withHead = model.copy(true)) {
            Path tok = Files.write(tmp.resolve("tok.bin"), new byte[] {1, 2, 3});
            Checkpoint.save(model, tmp.resolve("ckpt"), tok, "llama2c", 42, Map.of("note", "round trip"));
            Checkpoint.save(withHead, tmp.resolve("rm"), null, null, 7, Map.of());
            try (Llama back = Checkpoint.load(tmp.resolve("ckpt")); Llama rm = Checkpoint.load(tmp.resolve("rm"))) {
                assertArrayEquals(logits(model), logits(back));
                assertArrayEquals(logits(withHead), logits(rm));
                assertTrue(rm.hasScalarHead());
            }
            Checkpoint.Info info = Checkpoint.info(tmp.resolve("ckpt"));
            assertEquals(model.config(), info.config());
            assertEquals(42, info.step());
            assertEquals("llama2c", info.tokenizerKind());
            assertEquals("round trip", info.metadata().get("note"));
            assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(info.tokenizerFile()));
            try (Stream<Path> left = Files.list(tmp)) {
                assertTrue(left.noneMatch(p -> p.getFileName().toString().startsWith(".")), "no temporary directories left");
            }
        }
    }

    @Test
    void replacingKeepsTheOldCheckpointUntilTheNewOneIsComplete() throws IOException {
        TensorEngine.start();
        try (Llama a = TestModels.random(1); Llama b = TestModels.random(2)) {
            Path dir = tmp.resolve("ckpt");
            Checkpoint.save(a, dir, null, null, 1, Map.of());
            // a failing save (the tokenizer file to copy does not exist) must leave the old checkpoint intact
            assertThrows(IOException.class, () -> Checkpoint.save(b, dir, tmp.resolve("missing.bin"), "llama2c", 2, Map.of()));
            try (Llama back = Checkpoint.load(dir)) {
                assertArrayEquals(logits(a), logits(back));
            }
            Checkpoint.save(b, dir, null, null, 2, Map.of());
            try (Llama back = Checkpoint.load(dir)) {
                assertArrayEquals(logits(b), logits(back));
            }
            assertEquals(2, Checkpoint.info(dir).step());
            try (Stream<Path> left = Files.list(tmp)) {
                assertEquals(1, left.count(), "only the checkpoint remains");
            }
        }
    }

    @Test
    void loadingReportsWhatIsWrong() throws IOException {
        TensorEngine.start();
        try (Llama model = TestModels.random(1)) {
            Path dir = tmp.resolve("ckpt");
            Checkpoint.save(model, dir, null, null, 0, Map.of());
            Path weights = dir.resolve(Checkpoint.WEIGHTS);
            byte[] good = Files.readAllBytes(weights);

            Files.write(weights, Arrays.copyOf(good, good.length - 10));
            assertMessage(dir, "data_offsets");

            Files.write(weights, Arrays.copyOf(good, 5));
            assertMessage(dir, "not a safetensors file");

            Files.write(weights, "garbage that is not safetensors".getBytes(StandardCharsets.UTF_8));
            assertMessage(dir, "not a safetensors file");
        }
        // a tensor with the wrong shape, and a missing one
        try (Llama model = TestModels.random(1)) {
            Path dir = tmp.resolve("ckpt2");
            Checkpoint.save(model, dir, null, null, 0, Map.of());
            Path weights = dir.resolve(Checkpoint.WEIGHTS);
            Map<String, SafeTensors.Tensor> tensors = new LinkedHashMap<>(SafeTensors.read(weights).tensors());
            SafeTensors.Tensor norm = tensors.get("norm.weight");
            tensors.put("norm.weight", new SafeTensors.Tensor(new long[] {2, norm.values().length / 2}, norm.values()));
            SafeTensors.write(weights, tensors, Map.of());
            assertMessage(dir, "norm.weight has shape (2, 8)");

            tensors.remove("norm.weight");
            SafeTensors.write(weights, tensors, Map.of());
            assertMessage(dir, "missing [norm.weight]");

            String json = Files.readString(dir.resolve(Checkpoint.CONFIG)).replace("\"n_kv_heads\" : 2", "\"n_kv_heads\" : 3");
            Files.writeString(dir.resolve(Checkpoint.CONFIG), json);
            assertMessage(dir, "nHeads (4) must be divisible by nKvHeads (3)");

            Files.writeString(dir.resolve(Checkpoint.CONFIG), "{ not json");
            assertMessage(dir, "not valid JSON");
        }
        Path f16 = tmp.resolve("f16.safetensors");
        byte[] header = "{\"w\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]}}".getBytes(StandardCharsets.UTF_8);
        ByteBuffer buf = ByteBuffer.allocate(8 + header.length + 4).order(ByteOrder.LITTLE_ENDIAN);
        buf.putLong(header.length).put(header).putInt(0);
        Files.write(f16, buf.array());
        IOException e = assertThrows(IOException.class, () -> SafeTensors.read(f16));
        assertTrue(e.getMessage().contains("tensor w has dtype F16"), e.getMessage());
    }

    private static void assertMessage(Path dir, String fragment) {
        IOException e = assertThrows(IOException.class, () -> Checkpoint.load(dir).close());
        assertTrue(e.getMessage().contains(fragment), "message '" + e.getMessage() + "' lacks '" + fragment + "'");
    }

    @Test
    void llama2cRoundTripTruncationAndForeignFiles() throws IOException {
        TensorEngine.start();
        try (Llama model = TestModels.random(5)) {   // unshared classifier: vocab_size is written negative
            Path bin = tmp.resolve("m.bin");
            Llama2cCheckpoint.write(model, bin);
            try (Llama back = Llama2cCheckpoint.load(bin)) {
                assertEquals(model.config(), back.config());
                assertFalse(back.config().sharedClassifier());
                assertArrayEquals(logits(model), logits(back));
            }
            byte[] bytes = Files.readAllBytes(bin);
            Files.write(bin, Arrays.copyOf(bytes, bytes.length - 4));
            IOException e = assertThrows(IOException.class, () -> Llama2cCheckpoint.load(bin));
            assertTrue(e.getMessage().contains("truncated"), e.getMessage());
            assertTrue(e.getMessage().contains("is " + bytes.length + " bytes"), e.getMessage());

            Files.writeString(bin, "<html>this is a web page, not a checkpoint</html>");
            e = assertThrows(IOException.class, () -> Llama2cCheckpoint.load(bin));
            assertTrue(e.getMessage().contains("not a llama2.c checkpoint"), e.getMessage());

            Files.write(bin, new byte[] {1, 2, 3});
            e = assertThrows(IOException.class, () -> Llama2cCheckpoint.load(bin));
            assertTrue(e.getMessage().contains("shorter than the 28-byte header"), e.getMessage());
        }
    }

    @Test
    void realStories260KMatchesItsHeaderAndSize() throws IOException {
        Path bin = TestModels.realData("models/stories260K/stories260K.bin");
        LlamaConfig c = Llama2cCheckpoint.readConfig(bin);
        assertEquals(LlamaConfig.of(64, 172, 5, 8, 4, 512, 512, true), c);
        assertEquals(1_056_540, Files.size(bin));
        assertEquals(1_056_540, 28 + 4 * Llama2cCheckpoint.floatCount(c));
    }
}
