package org.cryo.engine;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The only class with native methods: the parts of the engine's C API (cryo.h) that are safe
 * inside a JVM.  Checkpoints are not among them: the JVM's process reaper calls waitpid() on
 * its children, which would take the ptrace stops the engine waits for; they run in the
 * helper executable instead (see Checkpointer).
 * The glue registers the {@code native*} methods in JNI_OnLoad; the public methods load the
 * library on first use so that a missing library is an {@link EngineException}, not an
 * {@link UnsatisfiedLinkError} at some random call site.
 */
public final class NativeEngine {
    private static final String LIBRARY_NAME = "cryojni";
    private static volatile boolean loaded;

    private NativeEngine() {
    }

    /** cryo_check_target: can the caller checkpoint pid?  Touches nothing. */
    public static void checkTarget(int pid) throws EngineException {
        ensureLoaded();
        nativeCheckTarget(pid);
    }

    /** cryo_verify_file: validates a whole context file, checksums included. */
    public static void verify(String path) throws EngineException {
        ensureLoaded();
        nativeVerify(path);
    }

    /**
     * cryo_describe: verifies a context file as a restore does and returns what it holds, as the
     * engine's JSON (ASCII, every string escaped; docs/FORMAT.md).
     */
    public static String describe(String path) throws EngineException {
        ensureLoaded();
        return nativeDescribe(path);
    }

    /**
     * cryo_describe_summary: the same JSON, every check but the page data's checksums, and a
     * symbolic link at {@code path} refused (for listing a user's directory).
     */
    public static String describeSummary(String path) throws EngineException {
        ensureLoaded();
        return nativeDescribeSummary(path);
    }

    /** Loads libcryojni.so from ${cryo.home} (CryoHome.jniLibrary), else from java.library.path. */
    public static void ensureLoaded() throws EngineException {
        ensureLoaded(null);
    }

    /**
     * Loads libcryojni.so from {@code home} (CryoHome.jniLibrary; home null: the one {@link CryoHome}
     * finds), else from java.library.path.  Only the first successful call has an effect.
     */
    public static void ensureLoaded(Path home) throws EngineException {
        if (loaded) {
            return;
        }
        synchronized (NativeEngine.class) {
            if (!loaded) {
                load(home != null ? home : CryoHome.find().orElse(null));
                loaded = true;
            }
        }
    }

    private static void load(Path home) throws EngineException {
        Path candidate = home == null ? null : CryoHome.jniLibrary(home);
        try {
            if (candidate != null && Files.isReadable(candidate)) {
                System.load(candidate.toString());
            } else {
                System.loadLibrary(LIBRARY_NAME);
            }
        } catch (UnsatisfiedLinkError | SecurityException e) {
            String where = candidate != null ? candidate.toString() : "lib" + LIBRARY_NAME + ".so";
            throw new EngineException("cannot load the Cryo engine library " + where
                    + " (build it with 'mvn package' or set cryo.home): " + e.getMessage(),
                    0, "engine library", "dlopen", 0);
        }
    }

    private static native void nativeCheckTarget(int pid) throws EngineException;


    private static native void nativeVerify(String path) throws EngineException;

    private static native String nativeDescribe(String path) throws EngineException;

    private static native String nativeDescribeSummary(String path) throws EngineException;
}
