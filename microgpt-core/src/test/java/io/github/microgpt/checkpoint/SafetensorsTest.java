package io.github.microgpt.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.microgpt.testing.Cases;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/** The safetensors reader and writer: the layout of the bytes, round trips, and every refusal. */
class SafetensorsTest {

    @TempDir
    Path dir;

    private static final List<Tensor> TWO = List.of(
            Tensor.matrix("a", DType.F64, 2, 3, new double[] {1, -2, 3.5, 1e-300, -0.0, Math.PI}),
            new Tensor("b.v", DType.F32, new int[] {3}, new double[] {0.25f, -7f, 1.1f}));

    @Test
    void theBytesFollowTheSafetensorsLayout() {
        byte[] file = Safetensors.encode(TWO, Map.of("format", "pt"));
        ByteBuffer buffer = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        long headerLength = buffer.getLong();
        assertEquals(0, (8 + headerLength) % 8, "the data starts 8-byte aligned");
        String header = new String(file, 8, (int) headerLength, StandardCharsets.UTF_8);
        assertTrue(header.startsWith("{"));
        assertEquals(header, header.stripLeading(), "padding only at the end");
        JsonObject json = JsonParser.parseString(header).getAsJsonObject();
        assertEquals("pt", json.getAsJsonObject("__metadata__").get("format").getAsString());
        JsonObject a = json.getAsJsonObject("a");
        assertEquals("F64", a.get("dtype").getAsString());
        assertEquals("[2,3]", a.get("shape").toString());
        assertEquals("[0,48]", a.get("data_offsets").toString());
        JsonObject b = json.getAsJsonObject("b.v");
        assertEquals("F32", b.get("dtype").getAsString());
        assertEquals("[48,60]", b.get("data_offsets").toString());
        assertEquals(8 + headerLength + 60, file.length, "nothing after the data");
        buffer.position((int) (8 + headerLength));
        assertEquals(1.0, buffer.getDouble(), "little-endian F64, row-major");
        assertEquals(-2.0, buffer.getDouble());
        buffer.position((int) (8 + headerLength + 48));
        assertEquals(0.25f, buffer.getFloat(), "little-endian F32");
    }

    @Test
    void whatIsWrittenReadsBackBitForBit() throws Exception {
        Path file = dir.resolve("t.safetensors");
        Safetensors.write(file, TWO, Map.of("k", "v", "ü", "é\n"));
        Safetensors.Contents contents = Safetensors.read(file);
        assertEquals(TWO, contents.tensors());
        assertEquals(Map.of("k", "v", "ü", "é\n"), contents.metadata());
        ByteArrayOutputStream stream = new ByteArrayOutputStream();
        Safetensors.write(stream, TWO, Map.of("k", "v", "ü", "é\n"));
        assertArrayEquals(Files.readAllBytes(file), stream.toByteArray(), "the stream and the file get the same bytes");
        assertArrayEquals(new double[] {1, -2, 3.5, 1e-300, -0.0, Math.PI}, contents.tensor("a").values());
        assertEquals(null, contents.tensor("nope"));
    }

    @TestFactory
    Stream<DynamicTest> randomTensorsRoundTrip() {
        return Cases.dynamicTests("safetensors round trip", 60, g -> {
            List<Tensor> tensors = new ArrayList<>();
            int count = g.intIn(0, 5);
            for (int t = 0; t < count; t++) {
                int rank = g.intIn(0, 3);
                int[] shape = new int[rank];
                int size = 1;
                for (int i = 0; i < rank; i++) {
                    shape[i] = g.intIn(0, 4);
                    size *= shape[i];
                }
                DType dtype = g.pickOf(DType.values());
                double[] values = new double[size];
                for (int i = 0; i < size; i++) {
                    values[i] = dtype == DType.F32 ? (float) g.gaussian() : g.gaussian();
                }
                tensors.add(new Tensor("t" + t + g.pickOf("", "é", ".m", "/x"), dtype, shape, values));
            }
            return tensors;
        }, tensors -> {
            Path file = Files.createTempFile(dir, "r", ".safetensors");
            Safetensors.write(file, tensors, Map.of());
            assertEquals(tensors, Safetensors.read(file).tensors());
            assertEquals(0, (Files.size(file) - dataSize(tensors)) % 8, "header padded to 8 bytes");
        });
    }

    private static long dataSize(List<Tensor> tensors) {
        return tensors.stream().mapToLong(Tensor::byteSize).sum();
    }

    @Test
    void f32RoundsAndRefusesValuesBeyondItsRange() throws Exception {
        Path file = dir.resolve("f.safetensors");
        Safetensors.write(file, List.of(new Tensor("x", DType.F32, new int[] {2}, new double[] {0.1, 1e-50})), Map.of());
        assertArrayEquals(new double[] {(float) 0.1, 0.0}, Safetensors.read(file).tensors().get(0).values());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Safetensors.encode(
                List.of(new Tensor("x", DType.F32, new int[] {2}, new double[] {1, 1e300})), Map.of()));
        assertTrue(e.getMessage().contains("value 1 of tensor x"), e.getMessage());
    }

    @Test
    void tensorsAreCheckedWhenMade() {
        assertThrows(IllegalArgumentException.class, () -> new Tensor("", DType.F64, new int[0], new double[1]));
        assertThrows(IllegalArgumentException.class,
                () -> new Tensor("__metadata__", DType.F64, new int[0], new double[1]));
        assertThrows(IllegalArgumentException.class, () -> new Tensor("x", DType.F64, new int[] {2, 2}, new double[3]));
        assertThrows(IllegalArgumentException.class, () -> new Tensor("x", DType.F64, new int[] {-1}, new double[0]));
        assertThrows(IllegalArgumentException.class, () -> new Tensor("x", DType.F64, new int[9], new double[0]));
        assertThrows(IllegalArgumentException.class, () -> Safetensors.encode(List.of(TWO.get(0), TWO.get(0)), Map.of()));
        int[] shape = {3};
        double[] values = {1, 2, 3};
        Tensor t = new Tensor("x", DType.F64, shape, values);
        shape[0] = 4;
        values[0] = 9;
        t.values()[1] = 9;
        assertArrayEquals(new int[] {3}, t.shape());
        assertArrayEquals(new double[] {1, 2, 3}, t.values(), "a tensor keeps its own copies");
    }

    // ------------------------------------------------------------------------- damaged files

    /** A file with a given header text and {@code dataBytes} zero bytes after it. */
    private Path file(String header, int dataBytes) throws Exception {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        return raw(ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(h.length).put(h).array());
    }

    private Path raw(byte[] bytes) throws Exception {
        Path file = Files.createTempFile(dir, "bad", ".safetensors");
        Files.write(file, bytes);
        return file;
    }

    private static String problem(Path file) {
        CheckpointException e = assertThrows(CheckpointException.class, () -> Safetensors.read(file));
        assertEquals(file, e.file());
        assertEquals(file + ": " + e.problem(), e.getMessage());
        assertTrue(!e.getMessage().contains("\n"), "one line: " + e.getMessage());
        return e.problem();
    }

    private static void assertProblem(String expected, Path file) {
        String problem = problem(file);
        assertTrue(problem.contains(expected), "expected \"" + expected + "\" in: " + problem);
    }

    @Test
    void everyKindOfDamageIsNamed() throws Exception {
        String ok = "{\"x\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[0,16]}}";
        assertEquals(2, Safetensors.read(file(ok, 16)).tensors().get(0).size(), "the baseline file is fine");
        assertEquals(2, Safetensors.read(file(ok + "      ", 16)).tensors().get(0).size(), "space padding is fine");

        assertProblem("does not exist", dir.resolve("missing.safetensors"));
        assertProblem("is a directory", dir);
        assertProblem("fewer than the 8", raw(new byte[5]));
        assertProblem("truncated: the header length field says 100 bytes but only 4 follow",
                raw(ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putLong(100).array()));
        assertProblem("more than the 1048576", raw(ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(-1L).array()));
        assertProblem("more than the 1048576", raw(ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(1L << 40).array()));
        assertProblem("too short", raw(ByteBuffer.allocate(9).order(ByteOrder.LITTLE_ENDIAN).putLong(1).array()));
        assertProblem("truncated: the header describes 16 bytes of tensor data but only 15", file(ok, 15));
        assertProblem("has 1 bytes after the last tensor", file(ok, 17));
        assertProblem("does not start with '{'", file(" " + ok, 16));
        assertProblem("bad JSON in the header at character 5", file("{\"x\":}", 0));
        assertProblem("not valid UTF-8", raw(ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putLong(4)
                .put(new byte[] {'{', (byte) 0xC3, '}', ' '}).array()));
        assertProblem("\"x\" must be an object, got 1", file("{\"x\":1}", 0));
        assertProblem("\"x.dtype\" is \"BF16\", which this reader does not read", file(ok.replace("F64", "BF16"), 16));
        assertProblem("\"x.shape\" must have 0 to 8 elements, got 9",
                file(ok.replace("[2]", "[1,1,1,1,1,1,1,1,2]"), 16));
        assertProblem("\"x.shape[0]\" must be an integer from 0 to 2147483647, got -2", file(ok.replace("[2]", "[-2]"), 16));
        assertProblem("\"x.shape[0]\" must be an integer", file(ok.replace("[2]", "[2.0]"), 16));
        assertProblem("more than this reader can hold", file(ok.replace("[2]", "[2147483647,2147483647,8]"), 16));
        assertProblem("needs 16 bytes, but its data_offsets [0, 8] span 8", file(ok.replace("16]", "8]"), 16));
        assertProblem("end 0 is before begin 16", file(ok.replace("[0,16]", "[16,0]"), 16));
        assertProblem("\"x.data_offsets\" must have 2 elements", file(ok.replace("[0,16]", "[0,16,32]"), 16));
        assertProblem("\"x.data_offsets[1]\" must be an integer from 0 to 9223372036854775807, got 99999999999999999999",
                file(ok.replace("16]", "99999999999999999999]"), 16));
        assertProblem("\"x.extra\" is not a field of a tensor entry", file(ok.replace("{\"dtype", "{\"extra\":1,\"dtype"), 16));
        assertProblem("the field \"x.shape\" is missing", file(ok.replace("\"shape\":[2],", ""), 16));
        assertProblem("\"__metadata__.k\" must be a string, got 1", file("{\"__metadata__\":{\"k\":1}}", 0));
        assertProblem("a tensor has an empty name", file(ok.replace("\"x\"", "\"\""), 16));
        assertProblem("duplicate key", file("{\"x\":{},\"x\":{}}", 0));

        String two = "{\"x\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]},"
                + "\"y\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[%d,%d]}}";
        assertEquals(2, Safetensors.read(file(String.format(two, 8, 16), 16)).tensors().size());
        assertProblem("tensor \"y\" starts at byte 16 of the data, but the tensors before it end at 8 (a gap)",
                file(String.format(two, 16, 24), 24));
        assertProblem("(an overlap)", file(String.format(two, 0, 8), 8));
    }

    @Test
    void anOverwriteIsAtomicAndLeavesNoTemporaryFile() throws Exception {
        Path file = dir.resolve("w.safetensors");
        Safetensors.write(file, TWO, Map.of());
        Safetensors.write(file, List.of(TWO.get(1)), Map.of());
        assertEquals(List.of(TWO.get(1)), Safetensors.read(file).tensors());
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(file), files.toList());
        }
    }
}
