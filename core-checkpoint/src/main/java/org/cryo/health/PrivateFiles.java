package org.cryo.health;

import java.io.IOException;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * The agent's own files (journal, saved state): in a directory of the current user's that no one
 * else can write, each file 0600, opened without following a link, so that a link planted where
 * root writes cannot make it write elsewhere.
 */
final class PrivateFiles {
    private PrivateFiles() {
    }

    /** Creates {@code dir} 0700 if missing; refuses a link, a non-directory or a directory others can write. */
    static Path directory(Path dir) throws IOException {
        Path absolute = dir.toAbsolutePath().normalize();
        if (!Files.exists(absolute, LinkOption.NOFOLLOW_LINKS)) {
            Files.createDirectories(absolute, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        PosixFileAttributes attributes = Files.readAttributes(absolute, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (attributes.isSymbolicLink() || !attributes.isDirectory()) {
            throw new IOException(absolute + ": not a directory (a link is not followed)");
        }
        if (!attributes.owner().getName().equals(System.getProperty("user.name"))) {
            throw new IOException(absolute + ": owned by " + attributes.owner().getName() + ", not by "
                    + System.getProperty("user.name"));
        }
        String mode = PosixFilePermissions.toString(attributes.permissions());
        if (mode.charAt(4) == 'w' || mode.charAt(7) == 'w') {
            throw new IOException(absolute + ": writable by others (" + mode + ")");
        }
        return absolute;
    }

    /** Appends {@code line} to {@code file} (created 0600), never through a link. */
    static void append(Path file, String line) throws IOException {
        try (SeekableByteChannel channel = Files.newByteChannel(file, Set.of(StandardOpenOption.CREATE, StandardOpenOption.APPEND,
                StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))) {
            channel.write(java.nio.ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8)));
        }
    }

    /** Replaces {@code file} atomically (a new 0600 file renamed onto it). */
    static void replace(Path file, String content) throws IOException {
        Path temp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.deleteIfExists(temp);
        try (SeekableByteChannel channel = Files.newByteChannel(temp, Set.of(StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))) {
            channel.write(java.nio.ByteBuffer.wrap(content.getBytes(StandardCharsets.UTF_8)));
        }
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** Reads {@code file} if it is a regular file (not a link), at most {@code limit} bytes. */
    static java.util.Optional<String> read(Path file, int limit) throws IOException {
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            return java.util.Optional.empty();
        }
        try (var in = Files.newInputStream(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            byte[] bytes = in.readNBytes(limit + 1);
            if (bytes.length > limit) {
                throw new IOException(file + ": larger than " + limit + " bytes");
            }
            return java.util.Optional.of(new String(bytes, StandardCharsets.UTF_8));
        }
    }
}
