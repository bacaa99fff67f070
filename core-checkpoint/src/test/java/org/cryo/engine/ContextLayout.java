package org.cryo.engine;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Where things are in a context file (native/include/cryo/format.h), read directly from the
 * bytes so that the corruption tests do not depend on the reader they test.
 */
final class ContextLayout {
    static final int HEADER_SIZE = 64;
    static final int ENTRY_SIZE = 32;
    static final int SEC_PAGES = 7;

    record Section(int index, int type, long offset, long length) {
    }

    final long tableOffset;
    final int sectionCount;
    final List<Section> sections = new ArrayList<>();

    ContextLayout(byte[] file) {
        ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        tableOffset = b.getLong(24);
        sectionCount = b.getInt(32);
        for (int i = 0; i < sectionCount; i++) {
            int at = (int) (tableOffset + (long) i * ENTRY_SIZE);
            sections.add(new Section(i, b.getInt(at), b.getLong(at + 8), b.getLong(at + 16)));
        }
    }

    long tableEnd() {
        return tableOffset + (long) sectionCount * ENTRY_SIZE;
    }

    /** Byte ranges [start, end) covered by a checksum: header, table, every section payload. */
    List<long[]> checkedRanges() {
        List<long[]> ranges = new ArrayList<>();
        ranges.add(new long[] {0, HEADER_SIZE});
        ranges.add(new long[] {tableOffset, tableEnd()});
        for (Section s : sections) {
            if (s.length() > 0) {
                ranges.add(new long[] {s.offset(), s.offset() + s.length()});
            }
        }
        return ranges;
    }

    long checkedBytes() {
        return checkedRanges().stream().mapToLong(r -> r[1] - r[0]).sum();
    }

    /** The n-th checked byte (0 <= n < checkedBytes()) as a file offset. */
    long checkedByte(long n) {
        for (long[] r : checkedRanges()) {
            if (n < r[1] - r[0]) {
                return r[0] + n;
            }
            n -= r[1] - r[0];
        }
        throw new IndexOutOfBoundsException();
    }
}
