package org.cryo.slurm;

import java.nio.file.Path;
import java.util.Map;
import org.cryo.engine.CryoHome;
import org.cryo.scheduler.JobCheckpointer;
import org.cryo.scheduler.NodeExecutor;
import org.cryo.scheduler.SchedulerAdapter;
import org.cryo.scheduler.SchedulerAdapterProvider;
import org.cryo.scheduler.SchedulerException;

/** Registered in META-INF/services: {@code SchedulerAdapterProvider.find("slurm")}. */
public final class SlurmAdapterProvider implements SchedulerAdapterProvider {
    @Override
    public String scheduler() {
        return "slurm";
    }

    @Override
    public SchedulerAdapter create(Map<String, String> environment) throws SchedulerException {
        return createSlurm(environment);
    }

    public static SlurmAdapter createSlurm(Map<String, String> environment) throws SchedulerException {
        SlurmConfig config = SlurmConfig.from(environment);
        Path home = CryoHome.find().orElseThrow(() -> new SchedulerException(
                "cannot find the Cryo installation: set " + CryoHome.ENVIRONMENT));
        SlurmCommands scontrol = new SlurmCommands(config.scontrol());
        SlurmPermissions permissions = new SlurmPermissions(scontrol, System.getProperty("user.name"));
        NodeExecutor nodes = NodeExecutor.configured(environment);
        return new SlurmAdapter(config.api(), scontrol,
                new JobCheckpointer(home, nodes, permissions, new SlurmProcessProof(config.scontrol(), nodes)),
                permissions, environment);
    }
}
