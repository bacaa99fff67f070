package org.cryo.sge;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.util.ArrayList;
import java.util.List;
import org.cryo.scheduler.JobDirectory;

/**
 * Removes an ended job's directory from its catalog (clean_command).  Runs as the job's owner; by
 * descriptor and without following a link, so a link planted in the directory is removed, never
 * followed.  (To move onto the core's retention once the SPI has it.)
 */
final class CatalogCleaner {
    private CatalogCleaner() {
    }

    /** Deletes the job's files and its directory; returns how many context files went. */
    static int removeJob(JobDirectory dir) throws IOException {
        Path jobDir = dir.path();
        Path root = jobDir.getParent();
        try (DirectoryStream<Path> parent = Files.newDirectoryStream(root)) {
            if (!(parent instanceof SecureDirectoryStream<Path> secureParent)) {
                throw new IOException("this file system cannot remove " + jobDir + " safely");
            }
            Path name = jobDir.getFileName();
            int contexts = 0;
            try (SecureDirectoryStream<Path> job = secureParent.newDirectoryStream(name, LinkOption.NOFOLLOW_LINKS)) {
                List<Path> entries = new ArrayList<>();
                job.forEach(entry -> entries.add(entry.getFileName()));
                for (Path entry : entries) {
                    if (entry.toString().startsWith("context.")) {
                        contexts++;
                    }
                    job.deleteFile(entry);
                }
            }
            secureParent.deleteDirectory(name);
            return contexts;
        } catch (NoSuchFileException e) {
            return 0;   // nothing was ever recorded
        }
    }
}
