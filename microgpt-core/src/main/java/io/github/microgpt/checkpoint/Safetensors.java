package io.github.microgpt.checkpoint;

import io.github.microgpt.internal.RegularFiles;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads and writes the safetensors format of Hugging Face, the format in which PyTorch models
 * are commonly shared, so that a microgpt model opens in Python with
 * {@code safetensors.torch.load_file("model.safetensors")} (or {@code safetensors.numpy}).
 *
 * <p>A safetensors file is three parts:
 * <ol>
 *   <li>8 bytes: {@code N}, the length of the header, an unsigned little-endian 64-bit integer;</li>
 *   <li>{@code N} bytes: the header, a UTF-8 JSON object that maps each tensor's name to
 *       {@code {"dtype": "F64", "shape": [rows, cols], "data_offsets": [begin, end]}}, plus an
 *       optional {@code "__metadata__"} object of string values. It starts with <code>'{'</code> and
 *       may be padded at the end with spaces (this writer pads it so that the data starts at a
 *       multiple of 8 bytes);</li>
 *   <li>the data: every tensor's numbers, little-endian, row-major, at
 *       {@code [begin, end)} counted from the first byte after the header. The tensors cover the
 *       data exactly: no gaps, no overlaps, nothing after the last one.</li>
 * </ol>
 *
 * <p>The reader treats the file as untrusted. It checks the header length against
 * {@value #MAX_HEADER_BYTES} bytes (for a checkpoint's file, {@link #maxHeaderBytes} of the tensors
 * its configuration has) and against the file's size before reading the header, every
 * shape and offset against the data actually present before allocating anything, and the
 * tensors against each other; any problem is a {@link CheckpointException} naming the file and
 * what is wrong, never an {@link OutOfMemoryError}, a read past the end or a half-read result.
 * Only the {@link DType F64} and {@link DType F32} types are read.
 *
 * <p>Not API: a general safetensors codec is not what this library offers, and its limits and
 * its {@link Tensor} of doubles may change. Users reach the format through {@link Checkpoint}
 * (whose {@value Format#MODEL_FILE} any safetensors reader opens).
 */
final class Safetensors {

    /** The reserved header key of the free-form string metadata. */
    public static final String METADATA_KEY = "__metadata__";

    /**
     * The largest header of a file of a few tensors: 1 MiB, room for some ten thousand of them.
     * (A larger length in the first 8 bytes is far more likely damage than a real model.) A file
     * of more tensors may take {@value #ENTRY_BYTES} bytes more for each: see {@link #maxHeaderBytes}.
     */
    public static final int MAX_HEADER_BYTES = 1 << 20;

    /**
     * The room each tensor adds to {@link #MAX_HEADER_BYTES}: more than any tensor of a checkpoint
     * takes (its entry, {@code "layer2147483647.attn_wq.m":{"dtype":"F64","shape":[...],"data_offsets":[...]}}
     * with every number at its longest, is under 150 bytes).
     */
    static final int ENTRY_BYTES = 256;

    /**
     * The largest header of a file of a given number of tensors, which the writer keeps to and
     * the reader of a checkpoint accepts (it knows how many tensors the configuration has before
     * it reads the header). Why it grows: with a flat 1 MiB, a model of 3,000 layers of width 4
     * (576,224 parameters) trained, and then its save failed, its optimizer's header needing 1.5 MB.
     *
     * @param tensors the number of tensors
     * @return {@link #MAX_HEADER_BYTES} and {@value #ENTRY_BYTES} bytes a tensor, at most
     *     {@code Integer.MAX_VALUE - 8} (one array)
     */
    static int maxHeaderBytes(long tensors) {
        return (int) Math.min(Integer.MAX_VALUE - 8, MAX_HEADER_BYTES + ENTRY_BYTES * Math.max(0, tensors));
    }

    private static final List<String> ENTRY_KEYS = List.of("dtype", "shape", "data_offsets");

    private Safetensors() {
    }

    /**
     * What a safetensors file holds.
     *
     * @param tensors the tensors, in the order of the header
     * @param metadata the {@code __metadata__} strings, empty if there were none
     */
    public record Contents(List<Tensor> tensors, Map<String, String> metadata) {

        /**
         * Copies the lists.
         *
         * @param tensors the tensors, in the order of the header
         * @param metadata the {@code __metadata__} strings, empty if there were none
         * @throws IllegalArgumentException if two tensors have the same name
         */
        public Contents {
            tensors = List.copyOf(tensors);
            metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
            Set<String> names = new HashSet<>();
            for (Tensor tensor : tensors) {
                if (!names.add(tensor.name())) {
                    throw new IllegalArgumentException("two tensors are named \"" + tensor.name() + "\"");
                }
            }
        }

        /**
         * The tensor with a given name.
         *
         * @param name the name
         * @return the tensor, or {@code null} if there is none of that name
         */
        public Tensor tensor(String name) {
            for (Tensor tensor : tensors) {
                if (tensor.name().equals(name)) {
                    return tensor;
                }
            }
            return null;
        }
    }

    // --------------------------------------------------------------------------------- writing

    /**
     * Encodes tensors as a whole safetensors file. The data is laid out in list order.
     *
     * @param tensors the tensors, with distinct names
     * @param metadata free-form strings for the {@code __metadata__} entry; may be empty
     * @return the file's bytes
     * @throws IllegalArgumentException if two tensors share a name, a value does not fit an
     *     {@code F32} tensor (a finite double beyond the float range would become infinite), or
     *     the header would exceed {@value #MAX_HEADER_BYTES} bytes
     */
    public static byte[] encode(List<Tensor> tensors, Map<String, String> metadata) {
        Contents contents = new Contents(tensors, metadata);
        byte[] header = header(contents);
        long dataBytes = 0;
        for (Tensor tensor : contents.tensors()) {
            dataBytes += tensor.byteSize();
        }
        long total = 8 + header.length + dataBytes;
        if (total > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("the tensors take " + total + " bytes, too many for one array; "
                    + "use write(OutputStream, ...)");
        }
        ByteBuffer out = ByteBuffer.allocate((int) total).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(header.length).put(header);
        for (Tensor tensor : contents.tensors()) {
            putValues(out, tensor);
        }
        return out.array();
    }

    /**
     * Writes tensors as a safetensors file to a stream, one tensor at a time (the stream is not
     * closed).
     *
     * @param out where to write
     * @param tensors the tensors, with distinct names
     * @param metadata free-form strings for the {@code __metadata__} entry; may be empty
     * @throws IOException if writing fails
     * @throws IllegalArgumentException as {@link #encode}
     */
    public static void write(OutputStream out, List<Tensor> tensors, Map<String, String> metadata)
            throws IOException {
        Contents contents = new Contents(tensors, metadata);
        byte[] header = header(contents);
        ByteBuffer length = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length);
        out.write(length.array());
        out.write(header);
        for (Tensor tensor : contents.tensors()) {
            ByteBuffer buffer = ByteBuffer.allocate(Math.toIntExact(tensor.byteSize())).order(ByteOrder.LITTLE_ENDIAN);
            putValues(buffer, tensor);
            out.write(buffer.array());
        }
    }

    /**
     * Writes tensors as a safetensors file, atomically: the bytes go to a temporary file beside
     * {@code file}, which is flushed to the disk and then renamed over {@code file}. A crash or a
     * full disk leaves either the old file or the new one, never a partial file.
     *
     * @param file the file to create or replace; if it is a symbolic link, the link stays and the
     *     file it leads to is replaced (a loop of links is refused)
     * @param tensors the tensors, with distinct names
     * @param metadata free-form strings for the {@code __metadata__} entry; may be empty
     * @throws IOException if writing fails (the old file, if any, is then unchanged)
     * @throws IllegalArgumentException as {@link #encode}
     */
    public static void write(Path file, List<Tensor> tensors, Map<String, String> metadata) throws IOException {
        AtomicFiles.writeFile(file, encode(tensors, metadata));
    }

    private static byte[] header(Contents contents) {
        Map<String, Object> header = new LinkedHashMap<>();
        if (!contents.metadata().isEmpty()) {
            header.put(METADATA_KEY, new LinkedHashMap<>(contents.metadata()));
        }
        long offset = 0;
        for (Tensor tensor : contents.tensors()) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("dtype", tensor.dtype().name());
            List<Object> shape = new ArrayList<>();
            for (int dim : tensor.shape()) {
                shape.add(dim);
            }
            entry.put("shape", shape);
            entry.put("data_offsets", List.of(offset, offset + tensor.byteSize()));
            offset += tensor.byteSize();
            header.put(tensor.name(), entry);
        }
        byte[] json = compact(header).getBytes(StandardCharsets.UTF_8);
        int limit = maxHeaderBytes(contents.tensors().size());
        if (json.length > limit - 8) {
            throw new IllegalArgumentException("the header would take " + json.length + " bytes, more than the "
                    + limit + " a reader accepts for " + contents.tensors().size() + " tensors (names or metadata too"
                    + " long)");
        }
        // Pad with spaces (which the format allows) so that the data starts 8-byte aligned.
        int padded = json.length + (8 - (8 + json.length) % 8) % 8;
        byte[] bytes = Arrays.copyOf(json, padded);
        Arrays.fill(bytes, json.length, padded, (byte) ' ');
        return bytes;
    }

    /** One-line JSON, as safetensors headers usually are. */
    private static String compact(Map<String, Object> header) {
        StringBuilder out = new StringBuilder("{");
        boolean first = true;
        for (Map.Entry<String, Object> entry : header.entrySet()) {
            out.append(first ? "" : ",");
            first = false;
            Json.quote(out, entry.getKey());
            out.append(':');
            @SuppressWarnings("unchecked")
            Map<String, Object> inner = (Map<String, Object>) entry.getValue();
            out.append('{');
            boolean firstInner = true;
            for (Map.Entry<String, Object> field : inner.entrySet()) {
                out.append(firstInner ? "" : ",");
                firstInner = false;
                Json.quote(out, field.getKey());
                out.append(':');
                Object value = field.getValue();
                if (value instanceof String s) {
                    Json.quote(out, s);
                } else {
                    List<?> list = (List<?>) value;
                    out.append('[');
                    for (int i = 0; i < list.size(); i++) {
                        out.append(i == 0 ? "" : ",").append(list.get(i));
                    }
                    out.append(']');
                }
            }
            out.append('}');
        }
        return out.append('}').toString();
    }

    private static void putValues(ByteBuffer out, Tensor tensor) {
        double[] values = tensor.values();
        if (tensor.dtype() == DType.F64) {
            for (double value : values) {
                out.putDouble(value);
            }
            return;
        }
        for (int i = 0; i < values.length; i++) {
            float f = (float) values[i];
            if (Float.isInfinite(f) && !Double.isInfinite(values[i])) {
                throw new IllegalArgumentException("value " + i + " of tensor " + tensor.name() + " (" + values[i]
                        + ") is beyond the range of F32");
            }
            out.putFloat(f);
        }
    }

    // --------------------------------------------------------------------------------- reading

    /**
     * Reads a safetensors file, checking everything described on the class.
     *
     * @param file the file
     * @return the tensors and metadata
     * @throws CheckpointException naming the file and the problem if it is missing, unreadable,
     *     not a regular file, truncated, corrupt, uses a type other than {@code F64} and
     *     {@code F32}, or holds more data than half of the Java heap
     */
    public static Contents read(Path file) throws CheckpointException {
        try (Opened opened = Opened.open(file)) {
            long bytes = 0;
            for (Entry entry : opened.entries()) {
                bytes += entry.end() - entry.begin();
            }
            MemoryBudget.check(file, "its tensors", bytes);
            List<Tensor> tensors = new ArrayList<>(opened.entries().size());
            for (Entry entry : opened.entries()) {
                tensors.add(opened.read(entry));
            }
            return new Contents(tensors, opened.metadata());
        }
    }

    /**
     * A safetensors file whose header has been read and checked, and whose tensors are read one
     * at a time, only when asked for. A checkpoint reads only the tensors its configuration
     * describes, so that a header that declares others (a 2 GiB tensor in a sparse file, say)
     * costs nothing.
     */
    static final class Opened implements AutoCloseable {
        private final Path file;
        private final FileChannel channel;
        private final long dataStart;
        private final List<Entry> entries;
        /**
         * The entries by name: a checkpoint looks up each of its tensors, and a scan of the list
         * for each made a header of tens of thousands of tensors take seconds.
         */
        private final Map<String, Entry> byName = new HashMap<>();
        private final Map<String, String> metadata;

        private Opened(Path file, FileChannel channel, long dataStart, List<Entry> entries,
                       Map<String, String> metadata) {
            this.file = file;
            this.channel = channel;
            this.dataStart = dataStart;
            this.entries = List.copyOf(entries);
            this.metadata = metadata;
            for (Entry entry : entries) {
                byName.put(entry.name(), entry);
            }
        }

        /**
         * Opens a file and reads and checks its header (not its data).
         *
         * @param file the file
         * @return the opened file; close it
         * @throws CheckpointException if it is not a regular file, or its header is bad
         */
        static Opened open(Path file) throws CheckpointException {
            FileChannel channel;
            try {
                channel = RegularFiles.openForReading(file);
            } catch (IOException e) {
                throw CheckpointException.unreadable(file, e);
            }
            boolean opened = false;
            try {
                Opened result = readHeader(file, channel);
                opened = true;
                return result;
            } catch (IOException e) {
                throw CheckpointException.unreadable(file, e);
            } finally {
                if (!opened) {
                    closeQuietly(channel);
                }
            }
        }

        /**
         * Reads and checks the header of a file that is already open (a checkpoint opens all its
         * files before it reads any: see {@link CheckpointReader}). Closing the result closes the
         * channel.
         *
         * @param file the file, for messages
         * @param channel the file, open for reading
         * @return the opened file
         * @throws CheckpointException if its header is bad or cannot be read
         */
        static Opened open(Path file, FileChannel channel) throws CheckpointException {
            return open(file, channel, 0);
        }

        /**
         * Reads and checks the header of a file that is already open, as {@link #open(Path, FileChannel)},
         * accepting the header of {@code tensors} tensors ({@link #maxHeaderBytes}): a checkpoint
         * knows from its configuration how many its files hold.
         *
         * @param file the file, for messages
         * @param channel the file, open for reading
         * @param tensors how many tensors the file is expected to hold
         * @return the opened file
         * @throws CheckpointException if its header is bad or cannot be read, or too large to hold
         */
        static Opened open(Path file, FileChannel channel, long tensors) throws CheckpointException {
            try {
                return readHeader(file, channel, maxHeaderBytes(tensors));
            } catch (IOException e) {
                throw CheckpointException.unreadable(file, e);
            }
        }

        private static Opened readHeader(Path file, FileChannel channel) throws IOException {
            return readHeader(file, channel, MAX_HEADER_BYTES);
        }

        private static Opened readHeader(Path file, FileChannel channel, int maxHeaderBytes) throws IOException {
            long size = channel.size();
            if (size < 8) {
                throw new CheckpointException(file, "truncated: the file has " + size
                        + " bytes, fewer than the 8 that give the header's length");
            }
            ByteBuffer lengthBytes = readFully(channel, 0, 8).order(ByteOrder.LITTLE_ENDIAN);
            long headerLength = lengthBytes.getLong();
            if (headerLength < 0 || headerLength > maxHeaderBytes) {
                throw new CheckpointException(file, "the header length field says "
                        + Long.toUnsignedString(headerLength) + " bytes, more than the " + maxHeaderBytes
                        + " this reader accepts" + (maxHeaderBytes == MAX_HEADER_BYTES ? "" : " for the tensors the"
                        + " configuration has") + " (the file is damaged or not a safetensors file)");
            }
            if (headerLength > MAX_HEADER_BYTES) {
                // The text and its parsed entries, some times the bytes: bounded by the heap, as the data is.
                MemoryBudget.check(file, "its header of " + headerLength + " bytes", 16 * headerLength);
            }
            if (headerLength < 2) {
                throw new CheckpointException(file, "the header length field says " + headerLength
                        + " bytes, too short for a JSON object");
            }
            if (8 + headerLength > size) {
                throw new CheckpointException(file, "truncated: the header length field says " + headerLength
                        + " bytes but only " + (size - 8) + " follow");
            }
            byte[] headerBytes = readFully(channel, 8, (int) headerLength).array();
            Map<String, Object> header = parseHeader(file, headerBytes);
            long dataStart = 8 + headerLength;
            long dataSize = size - dataStart;

            Map<String, String> metadata = Map.of();
            List<Entry> entries = new ArrayList<>();
            JsonFields fields = JsonFields.root(file, header);
            for (String name : header.keySet()) {
                if (name.equals(METADATA_KEY)) {
                    metadata = fields.stringMap(METADATA_KEY);
                } else {
                    entries.add(Safetensors.entry(file, name, fields.object(name), header.get(name)));
                }
            }
            checkLayout(file, entries, dataSize);
            return new Opened(file, channel, dataStart, entries, metadata);
        }

        /** The tensors the header declares, in header order, checked but not read. */
        List<Entry> entries() {
            return entries;
        }

        /** The header entry of a tensor, or {@code null} if there is none of that name. */
        Entry entry(String name) {
            return byName.get(name);
        }

        Map<String, String> metadata() {
            return metadata;
        }

        /**
         * Reads one tensor's data.
         *
         * @param entry one of {@link #entries()}
         * @return the tensor
         * @throws CheckpointException if reading fails
         */
        Tensor read(Entry entry) throws CheckpointException {
            try {
                ByteBuffer bytes = readFully(channel, dataStart + entry.begin(), (int) (entry.end() - entry.begin()))
                        .order(ByteOrder.LITTLE_ENDIAN);
                double[] values = new double[(int) entry.count()];
                if (entry.dtype() == DType.F64) {
                    bytes.asDoubleBuffer().get(values);
                } else {
                    for (int i = 0; i < values.length; i++) {
                        values[i] = bytes.getFloat();
                    }
                }
                return new Tensor(entry.name(), entry.dtype(), entry.shape(), values);
            } catch (IOException e) {
                throw CheckpointException.unreadable(file, e);
            }
        }

        private static void closeQuietly(FileChannel channel) {
            try {
                channel.close();
            } catch (IOException e) {
                // Only read from; nothing is lost.
            }
        }

        @Override
        public void close() {
            try {
                channel.close();
            } catch (IOException e) {
                // Only read from; nothing is lost.
            }
        }
    }

    private static Map<String, Object> parseHeader(Path file, byte[] headerBytes) throws CheckpointException {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(headerBytes);
        String text;
        try {
            CharBuffer chars = decoder.decode(in);
            text = chars.toString();
        } catch (CharacterCodingException e) {
            throw new CheckpointException(file, "the header is not valid UTF-8 (near byte " + (8 + in.position())
                    + " of the file)", e);
        }
        if (text.isEmpty() || text.charAt(0) != '{') {
            throw new CheckpointException(file, "the header does not start with '{' (the file is damaged or not a "
                    + "safetensors file)");
        }
        Object value;
        try {
            value = Json.parse(text);
        } catch (Json.SyntaxException e) {
            throw new CheckpointException(file, "bad JSON in the header at character " + e.offset() + ": "
                    + e.getMessage(), e);
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> header = (Map<String, Object>) value;
        return header;
    }

    /** A tensor's header entry, checked on its own. Offsets are relative to the data. */
    record Entry(String name, DType dtype, int[] shape, long count, long begin, long end) {
    }

    private static Entry entry(Path file, String name, JsonFields fields, Object raw) throws CheckpointException {
        if (name.isEmpty()) {
            throw new CheckpointException(file, "a tensor has an empty name");
        }
        @SuppressWarnings("unchecked")
        Set<String> keys = ((Map<String, Object>) raw).keySet();
        for (String key : keys) {
            if (!ENTRY_KEYS.contains(key)) {
                throw fields.error(key, "is not a field of a tensor entry (expected dtype, shape, data_offsets)");
            }
        }
        String dtypeName = fields.string("dtype");
        DType dtype = DType.fromName(dtypeName);
        if (dtype == null) {
            throw fields.error("dtype", "is " + JsonFields.describe(dtypeName) + ", which this reader does not read "
                    + "(it reads F64 and F32)");
        }
        List<Object> dims = fields.array("shape", 0, Tensor.MAX_RANK);
        int[] shape = new int[dims.size()];
        long[] longShape = new long[dims.size()];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = (int) fields.integerValue(dims.get(i), fields.name("shape") + "[" + i + "]", 0,
                    Integer.MAX_VALUE);
            longShape[i] = shape[i];
        }
        List<Object> offsets = fields.array("data_offsets", 2, 2);
        long begin = fields.integerValue(offsets.get(0), fields.name("data_offsets") + "[0]", 0, Long.MAX_VALUE);
        long end = fields.integerValue(offsets.get(1), fields.name("data_offsets") + "[1]", 0, Long.MAX_VALUE);
        if (end < begin) {
            throw fields.error("data_offsets", "end " + end + " is before begin " + begin);
        }
        long count = Tensor.elementCount(longShape);
        // A tensor is read into one buffer, which holds at most about 2^31 bytes; refuse larger
        // ones before any multiplication can overflow.
        if (count > (Integer.MAX_VALUE - 8) / dtype.byteSize()) {
            throw new CheckpointException(file, "tensor " + JsonFields.quoted(name) + " of shape " + Arrays.toString(shape)
                    + " has "
                    + (count == Long.MAX_VALUE ? "too many" : String.valueOf(count))
                    + " elements, more than this reader can hold in one array");
        }
        if (end - begin != count * dtype.byteSize()) {
            throw new CheckpointException(file, "tensor " + JsonFields.quoted(name) + " of shape " + Arrays.toString(shape)
                    + " and type "
                    + dtype + " needs " + count * dtype.byteSize() + " bytes, but its data_offsets [" + begin + ", "
                    + end + "] span " + (end - begin));
        }
        return new Entry(name, dtype, shape, count, begin, end);
    }

    /** The tensors must tile the data exactly: sorted by offset, each begins where the last ended. */
    private static void checkLayout(Path file, List<Entry> entries, long dataSize) throws CheckpointException {
        List<Entry> sorted = new ArrayList<>(entries);
        sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long expected = 0;
        for (Entry entry : sorted) {
            if (entry.begin != expected) {
                throw new CheckpointException(file, "tensor " + JsonFields.quoted(entry.name) + " starts at byte " + entry.begin
                        + " of the data, but the tensors before it end at " + expected
                        + (entry.begin > expected ? " (a gap)" : " (an overlap)"));
            }
            expected = entry.end;
        }
        if (expected != dataSize) {
            throw new CheckpointException(file, expected > dataSize
                    ? "truncated: the header describes " + expected + " bytes of tensor data but only " + dataSize
                            + " follow it"
                    : "the file has " + (dataSize - expected) + " bytes after the last tensor's data (the header "
                            + "describes " + expected + " bytes)");
        }
    }

    private static ByteBuffer readFully(FileChannel channel, long position, int length) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(length);
        long at = position;
        while (buffer.hasRemaining()) {
            int n = channel.read(buffer, at);
            if (n < 0) {
                throw new IOException("the file ended early, at byte " + at + " (it changed while being read?)");
            }
            at += n;
        }
        buffer.flip();
        return buffer;
    }

}
