package org.cryo.format;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a context file (native/include/cryo/format.h) in pure Java, trusting nothing in it.
 *
 * <p>Every offset, length, count and string length is checked against the file and the record
 * it sits in before it is used, and every allocation is bounded by the file's size, so a
 * corrupt or hostile file yields a one-line {@link ContextFormatException} and nothing else.
 * Checksums are left to the native {@code cryo_verify_file}; page data is never read, only
 * its index (PAGEMAP).
 */
public final class ContextFileReader {
    static final byte[] MAGIC = "CRYOCTX\0".getBytes(StandardCharsets.US_ASCII);
    static final int FORMAT_VERSION = 2;
    static final int HEADER_SIZE = 64;
    static final int MACHINE_X86_64 = 62;
    static final int PAGE_SIZE = 4096;
    static final int SECTION_ENTRY_SIZE = 32;
    static final int PAYLOAD_ALIGNMENT = 8;

    static final int SEC_INFO = 1;
    static final int SEC_PROCESS = 2;
    static final int SEC_THREAD = 3;
    static final int SEC_VMAS = 4;
    static final int SEC_FILES = 5;
    static final int SEC_PAGEMAP = 6;
    static final int SEC_PAGES = 7;

    /** Fixed parts of the records (sizeof the C structs). */
    static final int INFO_SIZE = 32;
    static final int PROCESS_SIZE = 3664;
    static final int VMA_SIZE = 96;
    static final int FD_SIZE = 88;
    static final int PAGE_RUN_SIZE = 24;
    static final int SIGINFO_SIZE = 128;

    /** Field offsets inside struct cryo_process used here. */
    private static final int PROCESS_PID = 4;
    private static final int PROCESS_NR_THREADS = 52;

    /** A metadata section must fit in one Java array. */
    private static final long MAX_METADATA_SECTION = Integer.MAX_VALUE - 64;

    private ContextFileReader() {
    }

    /** Reads and checks {@code file}; the result holds no reference to it. */
    public static ContextInfo read(Path file) throws ContextFormatException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            return read(channel);
        } catch (IOException e) {
            throw new ContextFormatException("cannot read " + file + ": " + describe(e));
        } catch (RuntimeException e) {
            // Belt and braces: a check missed above must still surface as a format error.
            throw new ContextFormatException("malformed context file " + file + ": " + describe(e), e);
        }
    }

    static ContextInfo read(FileChannel channel) throws IOException, ContextFormatException {
        long actualSize = channel.size();
        Header header = Header.parse(readAt(channel, 0, HEADER_SIZE, actualSize, "file header"), actualSize);
        SectionTable table = SectionTable.read(channel, header);

        Info info = Info.parse(metadata(channel, table.required(SEC_INFO), "INFO"));
        ProcessRecord process = ProcessRecord.parse(metadata(channel, table.required(SEC_PROCESS), "PROCESS"));
        List<RawMapping> mappings = RawMapping.parseAll(metadata(channel, table.required(SEC_VMAS), "VMAS"));
        List<ContextInfo.FileInfo> files = table.first(SEC_FILES).isPresent()
                ? parseFiles(metadata(channel, table.first(SEC_FILES).get(), "FILES"))
                : List.of();
        long[] savedPerMapping = savedBytesPerMapping(channel, table, mappings);

        List<ContextInfo.Mapping> result = new ArrayList<>(mappings.size());
        for (int i = 0; i < mappings.size(); i++) {
            result.add(mappings.get(i).toMapping(savedPerMapping[i]));
        }
        int threads = process.nrThreads;
        int threadsInAll = Math.max(threads, table.count(SEC_THREAD));
        return new ContextInfo(header.fileSize, info.cryoVersion, info.timeNanos, info.freezeNanos,
                info.host, info.kernel, info.user, info.uid, info.gid,
                process.pid, process.ppid, process.comm, info.commandLine, process.cwd, process.exe,
                threads, Math.max(1, table.count(SEC_PROCESS)), threadsInAll, result, memoryByKind(result), files);
    }

    // ---------------------------------------------------------------- header and section table

    /** struct cryo_file_header. */
    private record Header(long tableOffset, long sectionCount, long fileSize) {
        static Header parse(ByteBuffer buffer, long actualSize) throws ContextFormatException {
            RecordCursor in = new RecordCursor(buffer, 0, HEADER_SIZE, "file header");
            if (!Arrays.equals(in.bytes(MAGIC.length), MAGIC)) {
                throw new ContextFormatException("not a Cryo context file (bad magic)");
            }
            long version = in.u32();
            long headerSize = in.u32();
            long machine = in.u32();
            long pageSize = in.u32();
            long tableOffset = in.u64();
            long sectionCount = in.u32();
            in.u32(); // flags: reserved
            long fileSize = in.u64();
            expect(version == FORMAT_VERSION, "unsupported format version " + version
                    + " (this reader knows version " + FORMAT_VERSION + ")");
            expect(headerSize == HEADER_SIZE, "header size " + headerSize + ", expected " + HEADER_SIZE);
            expect(machine == MACHINE_X86_64, "context file is for machine " + machine + ", not x86_64");
            expect(pageSize == PAGE_SIZE, "page size " + pageSize + ", expected " + PAGE_SIZE);
            expect(fileSize == actualSize, "file is " + actualSize + " bytes but its header says "
                    + Long.toUnsignedString(fileSize) + " (truncated or appended to)");
            expect(sectionCount * SECTION_ENTRY_SIZE <= MAX_METADATA_SECTION,
                    "section count " + sectionCount + " is implausibly large");
            long tableEnd = checkedEnd(tableOffset, sectionCount * SECTION_ENTRY_SIZE, "section table");
            expect(Long.compareUnsigned(tableOffset, HEADER_SIZE) >= 0 && tableEnd <= actualSize,
                    "section table at " + Long.toUnsignedString(tableOffset) + " (" + sectionCount
                            + " entries) lies outside the file");
            expect(tableOffset % PAYLOAD_ALIGNMENT == 0, "section table offset " + tableOffset
                    + " is not 8-byte aligned");
            return new Header(tableOffset, sectionCount, fileSize);
        }
    }

    /** struct cryo_section_entry, checked against the file layout. */
    private record Section(int index, long type, long offset, long length) {
        String describe() {
            return "section " + index + " (type " + type + ")";
        }
    }

    private static final class SectionTable {
        private final List<Section> sections;

        private SectionTable(List<Section> sections) {
            this.sections = sections;
        }

        static SectionTable read(FileChannel channel, Header header) throws IOException, ContextFormatException {
            int tableBytes = (int) (header.sectionCount * SECTION_ENTRY_SIZE); // bounded by file size above
            ByteBuffer table = readAt(channel, header.tableOffset, tableBytes, header.fileSize, "section table");
            List<Section> sections = new ArrayList<>();
            for (int i = 0; i < header.sectionCount; i++) {
                RecordCursor in = new RecordCursor(table, i * SECTION_ENTRY_SIZE, SECTION_ENTRY_SIZE,
                        "section table entry " + i);
                long type = in.u32();
                in.u32(); // flags: reserved
                long offset = in.u64();
                long length = in.u64();
                Section section = new Section(i, type, offset, length);
                checkBounds(section, header);
                sections.add(section);
            }
            return new SectionTable(sections);
        }

        /** Payloads lie between the header and the table, aligned as format.h requires. */
        private static void checkBounds(Section s, Header header) throws ContextFormatException {
            long end = checkedEnd(s.offset, s.length, s.describe());
            expect(Long.compareUnsigned(s.offset, HEADER_SIZE) >= 0 && end <= header.tableOffset,
                    s.describe() + " at " + Long.toUnsignedString(s.offset) + " length "
                            + Long.toUnsignedString(s.length) + " lies outside the payload area");
            long alignment = s.type == SEC_PAGES ? PAGE_SIZE : PAYLOAD_ALIGNMENT;
            expect(s.offset % alignment == 0, s.describe() + " offset " + s.offset
                    + " is not " + alignment + "-byte aligned");
        }

        java.util.Optional<Section> first(long type) {
            return sections.stream().filter(s -> s.type == type).findFirst();
        }

        Section required(long type) throws ContextFormatException {
            return first(type).orElseThrow(() -> new ContextFormatException(
                    "context file has no " + sectionName(type) + " section"));
        }

        int count(long type) {
            return (int) sections.stream().filter(s -> s.type == type).count();
        }
    }

    // ---------------------------------------------------------------- records

    /** struct cryo_info + strings. */
    private record Info(int cryoVersion, long timeNanos, long freezeNanos, int uid, int gid,
                        String host, String kernel, String user, List<String> commandLine) {
        static Info parse(ByteBuffer section) throws ContextFormatException {
            RecordCursor in = firstRecord(section, INFO_SIZE, "INFO record");
            in.u32(); // record_size
            int version = in.i32();
            long time = in.u64();
            long freeze = in.u64();
            int uid = in.i32();
            int gid = in.i32();
            String host = in.string("hostname");
            String kernel = in.string("kernel release");
            String user = in.string("user name");
            List<String> commandLine = splitNulSeparated(in.string("command line"));
            return new Info(version, time, freeze, uid, gid, host, kernel, user, commandLine);
        }
    }

    /** The parts of struct cryo_process that ContextInfo shows. */
    private record ProcessRecord(int pid, int ppid, int nrThreads, String comm, String cwd, String exe) {
        static ProcessRecord parse(ByteBuffer section) throws ContextFormatException {
            RecordCursor in = firstRecord(section, PROCESS_SIZE, "PROCESS record");
            in.seek(PROCESS_PID);
            int pid = in.i32();
            int ppid = in.i32();
            in.seek(PROCESS_NR_THREADS);
            int nrThreads = in.i32();
            long nrSharedPending = in.u32();
            in.seek(PROCESS_SIZE);
            String comm = in.string("comm");
            String cwd = in.string("cwd");
            String exe = in.string("exe path");
            expect(nrSharedPending <= in.remaining() / SIGINFO_SIZE,
                    "PROCESS record: " + nrSharedPending + " pending signals do not fit in the record");
            return new ProcessRecord(pid, ppid, nrThreads, comm, cwd, exe);
        }
    }

    /** struct cryo_vma, before its saved page data is known. */
    private record RawMapping(VmaKind kind, long start, long end, int prot, int flags, long pgoff,
                              String path) {
        static List<RawMapping> parseAll(ByteBuffer section) throws ContextFormatException {
            List<RawMapping> mappings = new ArrayList<>();
            for (RecordCursor in : records(section, VMA_SIZE, "VMAS record")) {
                in.u32(); // record_size
                VmaKind kind = VmaKind.fromCode(in.u32());
                long start = in.u64();
                long end = in.u64();
                int prot = in.i32();
                int flags = in.i32();
                long pgoff = in.u64();
                in.seek(VMA_SIZE);
                String path = in.string("mapping path");
                checkRange(start, end);
                mappings.add(new RawMapping(kind, start, end, prot, flags, pgoff, path));
            }
            checkNoOverlap(mappings);
            return mappings;
        }

        private static void checkRange(long start, long end) throws ContextFormatException {
            expect(Long.compareUnsigned(start, end) < 0, "mapping " + hex(start) + "-" + hex(end) + " is empty or reversed");
            expect(start % PAGE_SIZE == 0 && end % PAGE_SIZE == 0,
                    "mapping " + hex(start) + "-" + hex(end) + " is not page aligned");
        }

        private static void checkNoOverlap(List<RawMapping> mappings) throws ContextFormatException {
            List<RawMapping> sorted = new ArrayList<>(mappings);
            sorted.sort(BY_START);
            for (int i = 1; i < sorted.size(); i++) {
                RawMapping previous = sorted.get(i - 1);
                RawMapping current = sorted.get(i);
                expect(Long.compareUnsigned(previous.end, current.start) <= 0,
                        "mappings " + hex(previous.start) + "-" + hex(previous.end) + " and "
                                + hex(current.start) + "-" + hex(current.end) + " overlap");
            }
        }

        boolean contains(long from, long to) {
            return Long.compareUnsigned(start, from) <= 0 && Long.compareUnsigned(to, end) <= 0;
        }

        ContextInfo.Mapping toMapping(long savedBytes) {
            return new ContextInfo.Mapping(kind, start, end, prot, flags, pgoff, path, savedBytes);
        }
    }

    private static final Comparator<RawMapping> BY_START = (a, b) -> Long.compareUnsigned(a.start, b.start);

    /** struct cryo_fd + path. */
    private static List<ContextInfo.FileInfo> parseFiles(ByteBuffer section) throws ContextFormatException {
        List<ContextInfo.FileInfo> files = new ArrayList<>();
        for (RecordCursor in : records(section, FD_SIZE, "FILES record")) {
            in.u32(); // record_size
            FdKind kind = FdKind.fromCode(in.u32());
            int fd = in.i32();
            int openFlags = in.i32();
            int fdFlags = in.i32();
            in.u32(); // pad
            long pos = in.u64();
            in.seek(FD_SIZE);
            String path = in.string("file path");
            expect(fd >= 0, "FILES record: negative file descriptor " + fd);
            files.add(new ContextInfo.FileInfo(fd, kind, path, openFlags, fdFlags, pos));
        }
        return files;
    }

    // ---------------------------------------------------------------- page index

    /**
     * Bytes of page data per mapping (same order as {@code mappings}), from the PAGEMAP runs.
     * Each run must lie inside one mapping and inside the PAGES payload.
     */
    private static long[] savedBytesPerMapping(FileChannel channel, SectionTable table, List<RawMapping> mappings)
            throws IOException, ContextFormatException {
        long[] saved = new long[mappings.size()];
        if (table.first(SEC_PAGEMAP).isEmpty()) {
            return saved;
        }
        ByteBuffer runs = metadata(channel, table.first(SEC_PAGEMAP).get(), "PAGEMAP");
        expect(runs.limit() % PAGE_RUN_SIZE == 0, "PAGEMAP length " + runs.limit()
                + " is not a multiple of " + PAGE_RUN_SIZE);
        long pagesLength = table.first(SEC_PAGES).map(Section::length).orElse(0L);

        Integer[] order = sortedIndexes(mappings);
        for (int offset = 0; offset < runs.limit(); offset += PAGE_RUN_SIZE) {
            RecordCursor in = new RecordCursor(runs, offset, PAGE_RUN_SIZE, "PAGEMAP run " + offset / PAGE_RUN_SIZE);
            long vaddr = in.u64();
            long nrPages = in.u64();
            long dataOffset = in.u64();
            long bytes = runBytes(vaddr, nrPages);
            long dataEnd = checkedEnd(dataOffset, bytes, "page run at " + hex(vaddr));
            expect(dataEnd <= pagesLength, "page run at " + hex(vaddr) + " points past the PAGES section");
            int mapping = findMapping(mappings, order, vaddr, vaddr + bytes);
            saved[mapping] += bytes;
        }
        return saved;
    }

    private static long runBytes(long vaddr, long nrPages) throws ContextFormatException {
        expect(vaddr % PAGE_SIZE == 0, "page run at " + hex(vaddr) + " is not page aligned");
        expect(nrPages > 0 && nrPages <= Long.MAX_VALUE / PAGE_SIZE,
                "page run at " + hex(vaddr) + " has " + Long.toUnsignedString(nrPages) + " pages");
        long bytes = nrPages * PAGE_SIZE;
        expect(Long.compareUnsigned(vaddr + bytes, vaddr) > 0, "page run at " + hex(vaddr) + " wraps around");
        return bytes;
    }

    /** Binary search over the mappings sorted by start; the run must fit in the one found. */
    private static int findMapping(List<RawMapping> mappings, Integer[] order, long from, long to)
            throws ContextFormatException {
        int low = 0;
        int high = order.length - 1;
        while (low <= high) {
            int middle = (low + high) >>> 1;
            RawMapping candidate = mappings.get(order[middle]);
            if (Long.compareUnsigned(from, candidate.start) < 0) {
                high = middle - 1;
            } else if (Long.compareUnsigned(from, candidate.end) >= 0) {
                low = middle + 1;
            } else if (candidate.contains(from, to)) {
                return order[middle];
            } else {
                break;
            }
        }
        throw new ContextFormatException("page run " + hex(from) + "-" + hex(to) + " lies outside every mapping");
    }

    private static Integer[] sortedIndexes(List<RawMapping> mappings) {
        Integer[] order = new Integer[mappings.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> BY_START.compare(mappings.get(a), mappings.get(b)));
        return order;
    }

    private static List<ContextInfo.MemoryUsage> memoryByKind(List<ContextInfo.Mapping> mappings) {
        Map<VmaKind, long[]> totals = new EnumMap<>(VmaKind.class); // {count, address bytes, saved bytes}
        for (ContextInfo.Mapping m : mappings) {
            long[] total = totals.computeIfAbsent(m.kind(), k -> new long[3]);
            total[0]++;
            total[1] += m.size();
            total[2] += m.savedBytes();
        }
        List<ContextInfo.MemoryUsage> usage = new ArrayList<>();
        totals.forEach((kind, t) -> usage.add(new ContextInfo.MemoryUsage(kind, (int) t[0], t[1], t[2])));
        return usage;
    }

    // ---------------------------------------------------------------- low-level helpers

    /** The records of a section: each starts with its u32 record_size, which covers its strings. */
    private static List<RecordCursor> records(ByteBuffer section, int fixedSize, String what)
            throws ContextFormatException {
        List<RecordCursor> records = new ArrayList<>();
        int offset = 0;
        while (offset < section.limit()) {
            int size = recordSize(section, offset, fixedSize, what);
            records.add(new RecordCursor(section, offset, size, what + " at offset " + offset));
            offset += size;
        }
        return records;
    }

    private static RecordCursor firstRecord(ByteBuffer section, int fixedSize, String what)
            throws ContextFormatException {
        int size = recordSize(section, 0, fixedSize, what);
        return new RecordCursor(section, 0, size, what);
    }

    private static int recordSize(ByteBuffer section, int offset, int fixedSize, String what)
            throws ContextFormatException {
        int left = section.limit() - offset;
        expect(left >= 4, what + " at offset " + offset + ": truncated record size");
        long size = Integer.toUnsignedLong(section.getInt(offset));
        expect(size >= fixedSize, what + " at offset " + offset + ": record size " + size
                + " is smaller than the fixed part (" + fixedSize + ")");
        expect(size <= left, what + " at offset " + offset + ": record size " + size
                + " exceeds the " + left + " bytes left in the section");
        return (int) size;
    }

    private static ByteBuffer metadata(FileChannel channel, Section section, String name)
            throws IOException, ContextFormatException {
        expect(section.length <= MAX_METADATA_SECTION, name + " section of " + section.length
                + " bytes is too large");
        return readAt(channel, section.offset, (int) section.length, Long.MAX_VALUE, name + " section");
    }

    /** Reads exactly {@code length} bytes at {@code offset}; the caller has bounded length by the file. */
    private static ByteBuffer readAt(FileChannel channel, long offset, int length, long limit, String what)
            throws IOException, ContextFormatException {
        expect(offset >= 0 && length >= 0 && offset <= limit - length && offset + length <= channel.size(),
                what + " lies outside the file");
        ByteBuffer buffer = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
        while (buffer.hasRemaining()) {
            int read = channel.read(buffer, offset + buffer.position());
            if (read < 0) {
                throw new ContextFormatException(what + ": file ends early (changed while reading?)");
            }
        }
        return buffer.flip();
    }

    /** offset + length, refusing unsigned overflow and values that do not fit a signed long. */
    private static long checkedEnd(long offset, long length, String what) throws ContextFormatException {
        if (offset < 0 || length < 0 || offset > Long.MAX_VALUE - length) {
            throw new ContextFormatException(what + ": offset " + Long.toUnsignedString(offset)
                    + " + length " + Long.toUnsignedString(length) + " overflows");
        }
        return offset + length;
    }

    private static void expect(boolean condition, String message) throws ContextFormatException {
        if (!condition) {
            throw new ContextFormatException(message);
        }
    }

    private static List<String> splitNulSeparated(String joined) {
        List<String> parts = new ArrayList<>(Arrays.asList(joined.split("\0", -1)));
        while (!parts.isEmpty() && parts.get(parts.size() - 1).isEmpty()) {
            parts.remove(parts.size() - 1);
        }
        return parts;
    }

    private static String sectionName(long type) {
        return switch ((int) type) {
            case SEC_INFO -> "INFO";
            case SEC_PROCESS -> "PROCESS";
            case SEC_THREAD -> "THREAD";
            case SEC_VMAS -> "VMAS";
            case SEC_FILES -> "FILES";
            case SEC_PAGEMAP -> "PAGEMAP";
            case SEC_PAGES -> "PAGES";
            default -> "type " + type;
        };
    }

    private static String hex(long value) {
        return "0x" + Long.toHexString(value);
    }

    private static String describe(Exception e) {
        String message = e.getMessage();
        String text = message == null || message.isBlank() ? e.getClass().getSimpleName() : message;
        return text.replace('\n', ' ');
    }
}
