package org.cryo.site;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Set;

/**
 * Every action asked of the console, allowed or not: one JSON object a line (when, who, how they
 * signed in, from where, what, on what, and the outcome), in a file created 0600 and never
 * written through a link; an existing file that others could read or write is refused at start.
 */
final class AuditLog {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<PosixFilePermission> PRIVATE = EnumSet.of(PosixFilePermission.OWNER_READ,
            PosixFilePermission.OWNER_WRITE);

    private final Path file;

    private AuditLog(Path file) {
        this.file = file;
    }

    static AuditLog at(Path file) throws IOException {
        Path absolute = file.toAbsolutePath().normalize();
        Files.createDirectories(absolute.getParent(),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        if (Files.exists(absolute, LinkOption.NOFOLLOW_LINKS)) {
            PosixFileAttributes a = Files.readAttributes(absolute, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (!a.isRegularFile()) {
                throw new IOException("audit log " + absolute + ": not a regular file (a link is not followed)");
            }
            if (!PRIVATE.containsAll(a.permissions())) {
                throw new IOException("audit log " + absolute + ": readable or writable by others ("
                        + PosixFilePermissions.toString(a.permissions()) + "); make it 0600");
            }
        }
        AuditLog log = new AuditLog(absolute);
        log.append(JSON.createObjectNode().put("at", Instant.now().toString()).put("event", "console started"));
        return log;
    }

    Path file() {
        return file;
    }

    /** Records one action and its outcome ("done: ...", "refused: ...", "failed: ..."). */
    void record(Identity who, String from, String action, String target, String outcome) throws IOException {
        ObjectNode line = JSON.createObjectNode();
        line.put("at", Instant.now().toString());
        line.put("user", who == null ? null : who.user());
        line.put("auth", who == null ? "none" : who.how());
        line.put("from", from);
        line.put("action", action);
        line.put("target", target);
        line.put("outcome", outcome);
        append(line);
    }

    private synchronized void append(ObjectNode line) throws IOException {
        try (SeekableByteChannel channel = Files.newByteChannel(file, Set.of(StandardOpenOption.CREATE,
                StandardOpenOption.APPEND, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS),
                PosixFilePermissions.asFileAttribute(PRIVATE))) {
            channel.write(ByteBuffer.wrap((JSON.writeValueAsString(line) + "\n").getBytes(StandardCharsets.UTF_8)));
        }
    }
}
