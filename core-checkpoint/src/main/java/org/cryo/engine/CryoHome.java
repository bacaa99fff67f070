package org.cryo.engine;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.Optional;

/**
 * Where Cryo is installed: the directory holding native/target/bin and native/target/lib.
 * Looked up in this order: system property {@code cryo.home}, environment {@code CRYO_HOME},
 * then the directories above this class's jar (so a plain {@code java -jar} from a build tree works).
 */
public final class CryoHome {
    public static final String PROPERTY = "cryo.home";
    public static final String ENVIRONMENT = "CRYO_HOME";

    private static final Path HELPER = Path.of("native", "target", "bin", "cryo-engine");
    private static final Path JNI_LIBRARY = Path.of("native", "target", "lib", "libcryojni.so");

    private CryoHome() {
    }

    /** The configured or discovered home, if any. */
    public static Optional<Path> find() {
        String configured = System.getProperty(PROPERTY);
        if (configured == null || configured.isBlank()) {
            configured = System.getenv(ENVIRONMENT);
        }
        if (configured != null && !configured.isBlank()) {
            return Optional.of(Path.of(configured).toAbsolutePath().normalize());
        }
        return searchAboveCodeLocation();
    }

    /** The helper executable ({@code cryo-engine}) under a home. */
    public static Path helper(Path home) {
        return home.resolve(HELPER);
    }

    /** The JNI library under a home. */
    public static Path jniLibrary(Path home) {
        return home.resolve(JNI_LIBRARY);
    }

    private static Optional<Path> searchAboveCodeLocation() {
        Optional<Path> start = codeLocation();
        for (Path dir = start.orElse(null); dir != null; dir = dir.getParent()) {
            if (Files.isExecutable(helper(dir))) {
                return Optional.of(dir);
            }
        }
        return Optional.empty();
    }

    private static Optional<Path> codeLocation() {
        try {
            CodeSource source = CryoHome.class.getProtectionDomain().getCodeSource();
            if (source == null || source.getLocation() == null) {
                return Optional.empty();
            }
            return Optional.of(Path.of(source.getLocation().toURI()).toAbsolutePath());
        } catch (URISyntaxException | IllegalArgumentException | SecurityException e) {
            return Optional.empty();
        }
    }
}
