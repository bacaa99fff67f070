package org.cryo.health.monitor;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import org.cryo.health.Notices;

/**
 * The sysfs (and procfs) tree the monitors read: {@code /} on a node, a fixture directory laid out
 * as the kernel's ABI documents it in the tests ({@code --root DIR}).  Every read is of a small
 * attribute file; what cannot be read or parsed is a notice, never an exception.
 */
public final class SysfsTree {
    /** sysfs attributes are a page at most; anything longer is not one. */
    private static final int MAX_ATTRIBUTE = 4096;

    private final Path root;
    private final Notices notices;

    public SysfsTree(Path root, Notices notices) {
        this.root = root.toAbsolutePath().normalize();
        this.notices = notices;
    }

    public Path root() {
        return root;
    }

    public Notices notices() {
        return notices;
    }

    /** {@code /sys/class/hwmon} under the root. */
    public Path path(String absolute) {
        return root.resolve(absolute.startsWith("/") ? absolute.substring(1) : absolute);
    }

    /** The entries of {@code dir} whose names match {@code glob}, sorted; empty if it is missing. */
    public List<Path> list(Path dir, String glob) {
        List<Path> entries = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir, glob)) {
            stream.forEach(entries::add);
        } catch (IOException e) {
            return List.of();
        }
        entries.sort(null);
        return entries;
    }

    /** The attribute's text, stripped; empty (with a notice) if it vanished or cannot be read. */
    public java.util.Optional<String> text(Path file) {
        try {
            byte[] bytes;
            try (var in = Files.newInputStream(file)) {
                bytes = in.readNBytes(MAX_ATTRIBUTE + 1);
            }
            if (bytes.length > MAX_ATTRIBUTE) {
                notices.value(describe(file) + ": longer than a sysfs attribute; ignored");
                return java.util.Optional.empty();
            }
            return java.util.Optional.of(new String(bytes, StandardCharsets.UTF_8).strip());
        } catch (NoSuchFileException e) {
            notices.value(describe(file) + ": vanished; ignored this poll");
            return java.util.Optional.empty();
        } catch (IOException e) {
            notices.value(describe(file) + ": cannot be read (" + e.getMessage() + "); ignored");
            return java.util.Optional.empty();
        }
    }

    /** A counter or integer attribute (non-negative decimal); empty, with a notice, if it holds anything else. */
    public OptionalLong counter(Path file) {
        var text = text(file);
        if (text.isEmpty()) {
            return OptionalLong.empty();
        }
        return parseCount(file, text.get());
    }

    OptionalLong parseCount(Path file, String text) {
        if (!text.matches("\\d{1,18}")) {
            notices.value(describe(file) + ": not a count: '" + shorten(text) + "'; ignored");
            return OptionalLong.empty();
        }
        return OptionalLong.of(Long.parseLong(text));
    }

    /** A signed integer attribute (a temperature in millidegrees); empty, with a notice, otherwise. */
    public OptionalDouble integer(Path file) {
        var text = text(file);
        if (text.isEmpty()) {
            return OptionalDouble.empty();
        }
        if (!text.get().matches("-?\\d{1,15}")) {
            notices.value(describe(file) + ": not a number: '" + shorten(text.get()) + "'; ignored");
            return OptionalDouble.empty();
        }
        return OptionalDouble.of(Long.parseLong(text.get()));
    }

    /** The file's path as it is on the node (the root stripped), for messages. */
    public String describe(Path file) {
        Path relative = root.relativize(file.toAbsolutePath().normalize());
        return "/" + relative;
    }

    private static String shorten(String text) {
        return text.length() > 40 ? text.substring(0, 40) + "..." : text;
    }
}
