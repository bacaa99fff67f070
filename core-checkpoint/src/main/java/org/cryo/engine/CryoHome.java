package org.cryo.engine;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.Optional;
import org.cryo.config.CryoConfig;

/**
 * Where Cryo is installed.  Two layouts: a checkout (its programs in native/target/bin, its
 * libraries in native/target/lib) and the packages' (/usr/lib/cryo: bin, lib, java; docs/PACKAGING.md).
 * A home with a {@code native} directory is a checkout.  Looked up in this order: system property
 * {@code cryo.home}, environment {@code CRYO_HOME}, then the directories above this class's jar (so
 * a plain {@code java -jar} from a build tree works, and /usr/lib/cryo/java/*.jar finds /usr/lib/cryo).
 */
public final class CryoHome {
    public static final String PROPERTY = "cryo.home";
    public static final String ENVIRONMENT = "CRYO_HOME";

    private static final Path CHECKOUT_OUTPUTS = Path.of("native", "target");

    private CryoHome() {
    }

    /** The configured or discovered home, if any. */
    public static Optional<Path> find() {
        String configured = System.getProperty(PROPERTY);
        if (configured == null || configured.isBlank()) {
            configured = CryoConfig.effectiveEnvironment().get(ENVIRONMENT);
        }
        if (configured != null && !configured.isBlank()) {
            return Optional.of(Path.of(configured).toAbsolutePath().normalize());
        }
        return searchAboveCodeLocation();
    }

    /** The helper executable ({@code cryo-engine}) under a home. */
    public static Path helper(Path home) {
        return program(home, "cryo-engine");
    }

    /** The JNI library under a home. */
    public static Path jniLibrary(Path home) {
        return outputs(home).resolve("lib").resolve("libcryojni.so");
    }

    /** One of the native programs (cryo-engine, cryo-demo-counter, cr_checkpoint, ...) under a home. */
    public static Path program(Path home, String name) {
        return outputs(home).resolve("bin").resolve(name);
    }

    /** native/target in a checkout; the home itself where the packages installed it. */
    private static Path outputs(Path home) {
        return Files.isDirectory(home.resolve("native")) ? home.resolve(CHECKOUT_OUTPUTS) : home;
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
