package org.cryo.sge;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.cryo.scheduler.BatchJob;
import org.cryo.scheduler.SchedulerAdapterProvider;
import org.cryo.scheduler.SchedulerException;
import org.cryo.sge.cli.SgeCommand;

/**
 * Grid Engine's entry into Cryo (META-INF/services): a Grid Engine job recognised from its
 * environment ({@link SgeJobEnvironment}), the adapter, and {@code cryo sge}.  Job control goes
 * through DRMAA when its library loads in this JVM ({@code CRYO_SGE_DRMAA=no} forbids it), opened
 * at the first control call, else through qmod/qhold/qrls.
 */
public final class SgeAdapterProvider implements SchedulerAdapterProvider {
    public static final String NAME = "gridengine";

    @Override
    public String scheduler() {
        return NAME;
    }

    @Override
    public Optional<BatchJob> detect(Map<String, String> environment) {
        return SgeJobEnvironment.detect(environment);
    }

    @Override
    public SgeAdapter create(Map<String, String> environment) throws SchedulerException {
        SgeCommands commands = new SgeCommands(environment);
        SgeControl control = "no".equals(environment.get("CRYO_SGE_DRMAA"))
                ? SgeControl.of(commands) : drmaaOrCommands(commands);
        return create(environment, control);
    }

    /** An adapter whose control is the given DRMAA session (the tests' DRMAA path). */
    public static SgeAdapter create(Map<String, String> environment, SgeDrmaa drmaa) {
        return create(environment, SgeControl.of(drmaa, drmaa.drmSystem()));
    }

    private static SgeAdapter create(Map<String, String> environment, SgeControl control) {
        return new SgeAdapter(new SgeCommands(environment), control,
                new SgeProcessProof(SgeProcessProof.adminUser(environment)), environment);
    }

    @Override
    public List<Object> commands() {
        return List.of(new SgeCommand());
    }

    /** DRMAA, opened at the first control call (a command that only reads never opens a session). */
    private static SgeControl drmaaOrCommands(SgeCommands commands) {
        return new SgeControl() {
            private SgeControl chosen;

            private synchronized SgeControl chosen() {
                if (chosen == null) {
                    try {
                        SgeDrmaa drmaa = SgeDrmaa.open();
                        Runtime.getRuntime().addShutdownHook(new Thread(drmaa::close, "cryo-drmaa-exit"));
                        chosen = SgeControl.of(drmaa, drmaa.drmSystem());
                    } catch (SchedulerException | LinkageError e) {
                        chosen = SgeControl.of(commands);
                    }
                }
                return chosen;
            }

            @Override
            public void suspend(String jobId) throws SchedulerException {
                chosen().suspend(jobId);
            }

            @Override
            public void hold(String jobId) throws SchedulerException {
                chosen().hold(jobId);
            }

            @Override
            public void release(String jobId) throws SchedulerException {
                chosen().release(jobId);
            }

            @Override
            public String describe() {
                return chosen == null ? "DRMAA 1.0 or qmod/qhold/qrls" : chosen.describe();
            }
        };
    }
}
