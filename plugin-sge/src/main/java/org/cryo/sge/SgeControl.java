package org.cryo.sge;

import org.cryo.scheduler.SchedulerException;

/**
 * The Grid Engine verbs a vacate, restart or migration uses: through DRMAA {@code control()}
 * when the DRMAA library loads in this JVM, else through {@code qmod}/{@code qhold}/{@code qrls}.
 * Both reach the same qmaster request.
 */
interface SgeControl {
    /** DRMAA SUSPEND / {@code qmod -sj}: for a job with Cryo's environment, its migr_command runs. */
    void suspend(String jobId) throws SchedulerException;

    /** DRMAA HOLD / {@code qhold}. */
    void hold(String jobId) throws SchedulerException;

    /** DRMAA RELEASE / {@code qrls}. */
    void release(String jobId) throws SchedulerException;

    /** "DRMAA 1.0 (SGE 8.1.9)" or "qmod/qhold/qrls". */
    String describe();

    static SgeControl of(SgeDrmaa drmaa, String drmSystem) {
        return new SgeControl() {
            @Override
            public void suspend(String jobId) throws SchedulerException {
                drmaa.control(jobId, SgeDrmaa.Action.SUSPEND);
            }

            @Override
            public void hold(String jobId) throws SchedulerException {
                drmaa.control(jobId, SgeDrmaa.Action.HOLD);
            }

            @Override
            public void release(String jobId) throws SchedulerException {
                drmaa.control(jobId, SgeDrmaa.Action.RELEASE);
            }

            @Override
            public String describe() {
                return "DRMAA 1.0 (" + drmSystem + ")";
            }
        };
    }

    static SgeControl of(SgeCommands commands) {
        return new SgeControl() {
            @Override
            public void suspend(String jobId) throws SchedulerException {
                commands.suspendJob(jobId);
            }

            @Override
            public void hold(String jobId) throws SchedulerException {
                commands.hold(jobId);
            }

            @Override
            public void release(String jobId) throws SchedulerException {
                commands.release(jobId);
            }

            @Override
            public String describe() {
                return "qmod/qhold/qrls";
            }
        };
    }
}
