package io.github.microgpt.checkpoint;

import io.github.microgpt.internal.RegularFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** Reading a checkpoint's JSON files: bounded in size, strict UTF-8, with the format name and version checked. */
final class JsonFile {

    private JsonFile() {
    }

    /**
     * Reads and parses a JSON file of at most {@value Format#MAX_JSON_BYTES} bytes.
     *
     * @param file the file
     * @return its top-level object
     * @throws CheckpointException if it is not a regular file, too large, not UTF-8 or not a JSON object
     */
    static JsonFields read(Path file) throws CheckpointException {
        try (FileChannel channel = RegularFiles.openForReading(file)) {
            return read(file, channel);
        } catch (CheckpointException e) {
            throw e;
        } catch (IOException e) {
            throw CheckpointException.unreadable(file, e);
        }
    }

    /**
     * Reads and parses a JSON file that is already open (the caller closes it), as {@link #read(Path)}.
     *
     * @param file the file, for messages
     * @param channel the file, open for reading
     * @return its top-level object
     * @throws CheckpointException if it is too large, not UTF-8 or not a JSON object
     */
    static JsonFields read(Path file, FileChannel channel) throws CheckpointException {
        byte[] bytes;
        try {
            bytes = RegularFiles.readAll(file, channel, Format.MAX_JSON_BYTES, "the file");
        } catch (RegularFiles.FileTooLargeException e) {
            throw new CheckpointException(file, "the file has " + e.size() + " bytes, more than the "
                    + Format.MAX_JSON_BYTES + " a checkpoint's JSON may have", e);
        } catch (IOException e) {
            throw CheckpointException.unreadable(file, e);
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new CheckpointException(file, "the file is not valid UTF-8", e);
        }
        try {
            return JsonFields.root(file, Json.parse(text));
        } catch (Json.SyntaxException e) {
            throw new CheckpointException(file, "bad JSON at character " + e.offset() + ": " + e.getMessage(), e);
        }
    }

    /**
     * Checks the {@code format} and {@code version} fields every checkpoint JSON file starts with.
     *
     * @param newest the newest version of the file this library reads; every version from 1 is read
     * @return the file's version
     */
    static int checkFormat(Path file, JsonFields root, String format, int newest) throws CheckpointException {
        String actual = root.string("format");
        if (!actual.equals(format)) {
            throw root.error("format", "is " + JsonFields.describe(actual) + ", expected \"" + format + "\"");
        }
        int version = root.integer("version", 1, Integer.MAX_VALUE);
        if (version > newest) {
            throw new CheckpointException(file, "unsupported version " + version + " (this library reads version "
                    + (newest == 1 ? "1" : "1 to " + newest) + "; a newer microgpt wrote it)");
        }
        return version;
    }
}
