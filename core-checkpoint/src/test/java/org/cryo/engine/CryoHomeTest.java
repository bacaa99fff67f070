package org.cryo.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * CryoHome finds the programs and the JNI library in both layouts: a checkout (native/target) and
 * the packages' (/usr/lib/cryo: bin, lib).  The installed layout is built here file by file; the
 * real one is installed and run by scripts/package-test.sh.
 */
class CryoHomeTest {
    @TempDir
    Path dir;

    @Test
    void checkoutKeepsItsProgramsInNativeTarget() throws IOException {
        Files.createDirectories(dir.resolve("native/target/bin"));
        assertEquals(dir.resolve("native/target/bin/cryo-engine"), CryoHome.helper(dir));
        assertEquals(dir.resolve("native/target/lib/libcryojni.so"), CryoHome.jniLibrary(dir));
        assertEquals(dir.resolve("native/target/bin/cryo-demo-counter"), CryoHome.program(dir, "cryo-demo-counter"));
    }

    @Test
    void installedLayoutKeepsThemInBinAndLib() throws IOException {
        Files.createDirectories(dir.resolve("bin"));
        Files.createDirectories(dir.resolve("java"));
        assertEquals(dir.resolve("bin/cryo-engine"), CryoHome.helper(dir));
        assertEquals(dir.resolve("lib/libcryojni.so"), CryoHome.jniLibrary(dir));
        assertEquals(dir.resolve("bin/cr_checkpoint"), CryoHome.program(dir, "cr_checkpoint"));
    }

    /** The real home of this build is a checkout, and its helper is where CryoHome says. */
    @Test
    void thisBuildIsACheckout() {
        Path home = CryoHome.find().orElseThrow();
        assertTrue(Files.isExecutable(CryoHome.helper(home)), CryoHome.helper(home) + " is not executable");
        assertTrue(CryoHome.helper(home).endsWith(Path.of("native/target/bin/cryo-engine")));
    }
}
