package org.cryo.health.monitor;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import org.cryo.config.CryoConfig;

/** A tool named by path or found on $PATH. */
final class Executables {
    private Executables() {
    }

    static boolean found(String name) {
        return !resolve(name).equals(name) || (name.contains("/") && Files.isExecutable(Path.of(name)));
    }

    /** The tool's path; {@code name} itself if it is not found. */
    static String resolve(String name) {
        if (name.contains("/")) {
            return name;
        }
        String path = CryoConfig.effectiveEnvironment().getOrDefault("PATH", "/usr/bin:/bin");
        for (String dir : path.split(File.pathSeparator)) {
            Path candidate = Path.of(dir.isEmpty() ? "." : dir, name);
            if (Files.isExecutable(candidate)) {
                return candidate.toString();
            }
        }
        return name;
    }
}
