package org.cryo.format;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What a context file holds, as the engine describes it ({@code cryo-engine info --json}, the
 * JNI {@code describe}): the engine is the format's only reader, and this is its answer read
 * with Jackson.  Fields the engine adds later are ignored here; the JSON itself stays available
 * for {@code cryo info --json}.  Kind names ("file", "pipe", "anon-private" ...) are the
 * engine's (a descriptor kind's is its fd_ops.name in native/src/fdtypes.c), not to be relied on
 * by code.
 *
 * @param engineVersionCode engine version that wrote it (major*10000+minor*100+patch)
 * @param timeNs            CLOCK_REALTIME at capture, nanoseconds since the epoch
 * @param freezeNs          how long the processes were stopped
 * @param uid               who took the checkpoint
 * @param processes         every process of the file, parents before their children
 * @param parents           the context files this one builds on (an incremental checkpoint's), nearest
 *                          first; empty for a complete checkpoint or where the engine records none
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ContextInfo(
        int formatVersion,
        String engineVersion,
        int engineVersionCode,
        long fileSize,
        long timeNs,
        long freezeNs,
        String host,
        String kernel,
        String user,
        long uid,
        long gid,
        List<String> commandLine,
        List<Process> processes,
        Resources resources,
        List<String> parents) {

    /** A member the engine leaves out (it writes some only where they apply) reads as 0, false or null. */
    private static final ObjectMapper MAPPER = new ObjectMapper();

    public ContextInfo {
        commandLine = copy(commandLine);
        processes = copy(processes);
        parents = copy(parents);
        resources = resources != null ? resources : new Resources(null, null, null, null, null, null, null);
    }

    /** The engine's description, read; a description without processes is refused. */
    public static ContextInfo fromJson(String json) throws ContextFormatException {
        try {
            ContextInfo info = MAPPER.readValue(json, ContextInfo.class);
            if (info.processes().isEmpty()) {
                throw new ContextFormatException("the engine described no process");
            }
            return info;
        } catch (JsonProcessingException e) {
            throw new ContextFormatException("unreadable description from the engine: " + e.getOriginalMessage(), e);
        }
    }

    /** Capture time. */
    public Instant time() {
        return Instant.ofEpochSecond(0, timeNs);
    }

    /** The first process of the file: always a root of the tree. */
    public Process first() {
        return processes.get(0);
    }

    /** The process with checkpointed PID {@code pid}. */
    public Optional<Process> process(int pid) {
        return processes.stream().filter(p -> p.pid() == pid).findFirst();
    }

    /** The processes whose parent is {@code parent} (in file order). */
    public List<Process> children(Process parent) {
        return processes.stream().filter(p -> !p.root() && p.ppid() == parent.pid()).toList();
    }

    /** Bytes of page data saved in the file, over all processes. */
    public long savedBytes() {
        return processes.stream().mapToLong(Process::savedBytes).sum();
    }

    public int threadCount() {
        return processes.stream().mapToInt(p -> p.threads().size()).sum();
    }

    /**
     * One process.
     *
     * @param root       its parent is not in the file
     * @param state      "live" or "zombie"
     * @param waitStatus a zombie's wait status (null for a live process)
     * @param savedBytes page data of its mappings stored in the file
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Process(int pid, int ppid, boolean root, int pgid, int sid, int nsPid, String comm, String state,
                          Integer waitStatus, String cwd, String exe, List<Long> uids, List<Long> gids,
                          List<ThreadInfo> threads, List<Mapping> mappings, long addressBytes, long savedBytes,
                          List<Descriptor> descriptors) {
        public Process {
            uids = copy(uids);
            gids = copy(gids);
            threads = copy(threads);
            mappings = copy(mappings);
            descriptors = copy(descriptors);
        }

        /** Bytes of its mappings still shared copy-on-write with its parent's. */
        public long sharedWithParentBytes() {
            return mappings.stream().mapToLong(Mapping::sharedWithParentBytes).sum();
        }

        /** How many descriptors of each kind, by kind name. */
        public Map<String, Integer> descriptorKinds() {
            Map<String, Integer> kinds = new TreeMap<>();
            descriptors.forEach(d -> kinds.merge(d.kind(), 1, Integer::sum));
            return kinds;
        }
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record ThreadInfo(int tid, int nsTid) {
    }

    /**
     * One mapping: addresses as hexadecimal text, as /proc/PID/maps has them.
     *
     * @param sharedWithParentBytes a child's pages still the same as its parent's (copy-on-write)
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Mapping(String start, String end, String perms, String kind, List<String> flags, String path,
                          long savedBytes, long sharedWithParentBytes) {
        public Mapping {
            flags = copy(flags);
        }
    }

    /**
     * One descriptor.
     *
     * @param access "read", "write" or "read/write"
     * @param detail what its kind adds (eventfd count, pipe inode, locks ...), as the engine says it
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Descriptor(int fd, String kind, String access, boolean cloexec, Integer dupOf, long pos,
                             String path, JsonNode detail) {
    }

    /** What the processes share: pipes, socket pairs, TCP, System V IPC, shared memory files. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Resources(List<Pipe> pipes, List<SocketPair> socketPairs, List<Tcp> tcp, List<SysvShm> sysvShm,
                            List<SysvSem> sysvSem, List<SysvMsg> sysvMsg, List<ShmemFile> shmemFiles) {
        public Resources {
            pipes = copy(pipes);
            socketPairs = copy(socketPairs);
            tcp = copy(tcp);
            sysvShm = copy(sysvShm);
            sysvSem = copy(sysvSem);
            sysvMsg = copy(sysvMsg);
            shmemFiles = copy(shmemFiles);
        }
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Pipe(long ino, long capacity, long bufferedBytes, String fifo) {
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record SocketPair(String type, List<Long> inodes, List<Long> queuedBytes) {
        public SocketPair {
            inodes = copy(inodes);
            queuedBytes = copy(queuedBytes);
        }
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Tcp(long ino, String state, String local, String peer, long sendQueueBytes, long recvQueueBytes) {
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record SysvShm(int shmid, int key, long bytes) {
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record SysvSem(int semid, int key, long semaphores) {
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record SysvMsg(int msqid, int key, long messages, long bytes) {
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record ShmemFile(long dev, long ino, long size, long savedBytes, String path) {
    }

    private static <T> List<T> copy(List<T> list) {
        return list == null ? List.of() : list.stream().filter(Objects::nonNull).toList();
    }
}
