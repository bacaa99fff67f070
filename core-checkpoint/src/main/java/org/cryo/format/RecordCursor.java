package org.cryo.format;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Reads the fields of one record (or one header) from a little-endian buffer, checking every
 * read against the record's end.  Positions are relative to the record start, which is where
 * string padding is measured from (records start 8-byte aligned in a valid file).
 */
final class RecordCursor {
    private static final int STRING_ALIGNMENT = 8;

    private final ByteBuffer record;
    private final String what;

    /** A view of {@code length} bytes of {@code source} at {@code offset}. */
    RecordCursor(ByteBuffer source, int offset, int length, String what) {
        this.record = source.slice(offset, length).order(ByteOrder.LITTLE_ENDIAN);
        this.what = what;
    }

    int length() {
        return record.limit();
    }

    int position() {
        return record.position();
    }

    int remaining() {
        return record.remaining();
    }

    void seek(int position) throws ContextFormatException {
        if (position < 0 || position > record.limit()) {
            throw new ContextFormatException(what + ": offset " + position + " outside its "
                    + record.limit() + " bytes");
        }
        record.position(position);
    }

    int i32() throws ContextFormatException {
        need(4);
        return record.getInt();
    }

    /** An unsigned 32-bit field, widened so that it cannot turn negative. */
    long u32() throws ContextFormatException {
        return Integer.toUnsignedLong(i32());
    }

    long u64() throws ContextFormatException {
        need(8);
        return record.getLong();
    }

    byte[] bytes(int count) throws ContextFormatException {
        need(count);
        byte[] bytes = new byte[count];
        record.get(bytes);
        return bytes;
    }

    void skip(long count) throws ContextFormatException {
        if (count < 0 || count > record.remaining()) {
            throw truncated(count);
        }
        record.position(record.position() + (int) count);
    }

    /**
     * A string as format.h stores it: u32 length, the bytes, zero padding to the next 8-byte
     * boundary.  The length is checked against the record before anything is allocated.
     */
    String string(String field) throws ContextFormatException {
        long length = u32();
        if (length > record.remaining()) {
            throw new ContextFormatException(what + ": " + field + " length " + length
                    + " exceeds the " + record.remaining() + " bytes left in the record");
        }
        String value = new String(bytes((int) length), StandardCharsets.UTF_8);
        long aligned = alignUp(record.position(), STRING_ALIGNMENT);
        record.position((int) Math.min(aligned, record.limit()));
        return value;
    }

    private void need(long count) throws ContextFormatException {
        if (count > record.remaining()) {
            throw truncated(count);
        }
    }

    private ContextFormatException truncated(long count) {
        return new ContextFormatException(what + ": needs " + count + " bytes at offset "
                + record.position() + " but only " + record.remaining() + " remain");
    }

    static long alignUp(long value, long alignment) {
        return (value + alignment - 1) / alignment * alignment;
    }
}
