package org.cryo.scheduler;

/** The tests that use {@link InMemoryScheduler}'s static state do not run at the same time. */
public final class InMemorySchedulerLock {
    public static final String NAME = "in-memory-scheduler";

    private InMemorySchedulerLock() {
    }
}
