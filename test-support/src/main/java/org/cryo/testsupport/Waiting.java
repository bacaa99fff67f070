package org.cryo.testsupport;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.function.BooleanSupplier;

/** Polling with a bounded deadline: the tests never assert how long something takes, only that it comes. */
public final class Waiting {
    private static final long POLL_MILLIS = 200;

    private Waiting() {
    }

    /** Returns once {@code condition} holds; fails after {@code seconds}, naming {@code what} it waited for. */
    public static void waitUntil(String what, long seconds, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.currentTimeMillis() + seconds * 1000;
        while (System.currentTimeMillis() < deadline) {
            if (condition.getAsBoolean()) {
                return;
            }
            Thread.sleep(POLL_MILLIS);
        }
        fail("timed out after " + seconds + " s waiting for " + what);
    }
}
