package org.cryo.api;

import java.nio.file.Path;

/**
 * A checkpoint taken.
 *
 * @param file        the context file written
 * @param freezeNanos how long the process was stopped
 * @param totalNanos  the whole checkpoint, start to fsync and rename
 * @param pageBytes   bytes of page data written
 * @param fileSize    bytes of the context file
 */
public record CheckpointResult(Path file, long freezeNanos, long totalNanos, long pageBytes, long fileSize) {
}
