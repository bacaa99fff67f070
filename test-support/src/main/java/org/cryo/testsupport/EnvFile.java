package org.cryo.testsupport;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A test cluster's environment file (scripts/slurm/slurm-up.sh, scripts/trixie/slurm24-up.sh,
 * scripts/sge/sge-up.sh write one): lines {@code export NAME=VALUE} or {@code export NAME="VALUE"},
 * an optional trailing comment; nothing is expanded.  No file means the cluster is not up: a test
 * failure, never a skip.
 */
public final class EnvFile {
    private static final Pattern EXPORT = Pattern.compile("^export ([A-Z_0-9]+)=\"?([^\"#]*?)\"?\\s*(#.*)?$");

    private EnvFile() {
    }

    /** This process's environment with the file's variables on top; fails with {@code notUp} when there is no file. */
    public static Map<String, String> overEnvironment(Path file, String notUp) {
        if (!Files.isReadable(file)) {
            fail(notUp + ": " + file + " is missing");
        }
        Map<String, String> env = new HashMap<>(System.getenv());
        try {
            for (String line : Files.readAllLines(file)) {
                Matcher matcher = EXPORT.matcher(line.strip());
                if (matcher.matches()) {
                    env.put(matcher.group(1), matcher.group(2).strip());
                }
            }
        } catch (IOException e) {
            fail("cannot read " + file + ": " + e);
        }
        return env;
    }
}
