package org.cryo.api;

import java.nio.file.Path;

/**
 * The one line {@code cryo-engine checkpoint --machine} prints, tab-separated:
 * {@code OK freeze_ns total_ns page_bytes file_size}, or
 * {@code ERROR pid errno resource syscall message}.
 */
final class HelperResult {
    private HelperResult() {
    }

    static CheckpointResult parseCheckpoint(String line, Path file, long pid) throws CheckpointException {
        String[] f = line.split("\t", 6);
        try {
            if (f.length == 5 && f[0].equals("OK")) {
                return new CheckpointResult(file, Long.parseLong(f[1]), Long.parseLong(f[2]),
                        Long.parseLong(f[3]), Long.parseLong(f[4]));
            }
            if (f.length == 6 && f[0].equals("ERROR")) {
                throw new CheckpointException(f[5], Long.parseLong(f[1]), f[3], f[4], Integer.parseInt(f[2]), null);
            }
        } catch (NumberFormatException e) {
            // falls through to the error below
        }
        throw new CheckpointException("checkpoint of " + pid + " failed: the helper said '" + line + "'",
                pid, "helper", "", 0, null);
    }
}
