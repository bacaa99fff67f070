package org.cryo.sge;

import java.nio.file.Path;
import java.util.Map;
import org.cryo.engine.CryoHome;
import org.cryo.scheduler.JobCheckpointer;
import org.cryo.scheduler.NodeExecutor;
import org.cryo.scheduler.SchedulerAdapter;
import org.cryo.scheduler.SchedulerAdapterProvider;
import org.cryo.scheduler.SchedulerException;

/**
 * Registered in META-INF/services: {@code SchedulerAdapterProvider.find("gridengine")}.  Job
 * control goes through DRMAA when its library loads here ({@code CRYO_SGE_DRMAA=no} forbids it),
 * else through qmod/qhold/qrls.
 */
public final class SgeAdapterProvider implements SchedulerAdapterProvider {
    @Override
    public String scheduler() {
        return "gridengine";
    }

    @Override
    public SchedulerAdapter create(Map<String, String> environment) throws SchedulerException {
        return createSge(environment);
    }

    public static SgeAdapter createSge(Map<String, String> environment) throws SchedulerException {
        JobControl control;
        SgeCommands commands = new SgeCommands(environment);
        if ("no".equals(environment.get("CRYO_SGE_DRMAA"))) {
            control = JobControl.of(commands);
        } else {
            control = drmaaOrCommands(commands);
        }
        return createSge(environment, control);
    }

    static SgeAdapter createSge(Map<String, String> environment, JobControl control) throws SchedulerException {
        Path home = CryoHome.find().orElseThrow(() -> new SchedulerException(
                "cannot find the Cryo installation: set " + CryoHome.ENVIRONMENT));
        SgeCommands commands = new SgeCommands(environment);
        SgePermissions permissions = new SgePermissions(commands, System.getProperty("user.name"));
        NodeExecutor nodes = NodeExecutor.configured(environment);
        return new SgeAdapter(commands, control,
                new JobCheckpointer(home, nodes, permissions, new SgeProcessProof(nodes, SgeProcessProof.adminUser(environment))), permissions, environment);
    }

    /** An adapter whose control is the given DRMAA session (the tests' DRMAA path). */
    public static SgeAdapter createSge(Map<String, String> environment, SgeDrmaa drmaa) throws SchedulerException {
        return createSge(environment, JobControl.of(drmaa, drmaa.drmSystem()));
    }

    /** DRMAA, opened at the first control call (a command that only reads never opens a session). */
    private static JobControl drmaaOrCommands(SgeCommands commands) {
        return new JobControl() {
            private JobControl chosen;

            private synchronized JobControl chosen() {
                if (chosen == null) {
                    try {
                        SgeDrmaa drmaa = SgeDrmaa.open();
                        Runtime.getRuntime().addShutdownHook(new Thread(drmaa::close, "cryo-drmaa-exit"));
                        chosen = JobControl.of(drmaa, drmaa.drmSystem());
                    } catch (SchedulerException | LinkageError e) {
                        chosen = JobControl.of(commands);
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
