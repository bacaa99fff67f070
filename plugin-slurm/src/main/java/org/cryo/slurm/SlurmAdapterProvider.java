package org.cryo.slurm;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.cryo.scheduler.BatchJob;
import org.cryo.scheduler.SchedulerAdapterProvider;
import org.cryo.scheduler.SchedulerException;
import org.cryo.slurm.cli.SbatchCommand;
import org.cryo.slurm.cli.SlurmCommand;

/**
 * Slurm's entry into Cryo (META-INF/services): a Slurm job recognised from its environment
 * ({@link SlurmJobEnvironment}), the adapter, and {@code cryo slurm} and {@code cryo sbatch}.
 */
public final class SlurmAdapterProvider implements SchedulerAdapterProvider {
    public static final String NAME = "slurm";

    @Override
    public String scheduler() {
        return NAME;
    }

    @Override
    public Optional<BatchJob> detect(Map<String, String> environment) {
        return SlurmJobEnvironment.detect(environment);
    }

    @Override
    public OptionalInt nodes(Map<String, String> environment) {
        return SlurmJobEnvironment.nodes(environment);
    }

    @Override
    public SlurmAdapter create(Map<String, String> environment) throws SchedulerException {
        SlurmConfig config = SlurmConfig.from(environment);
        return new SlurmAdapter(SlurmControl.connect(config, System.err::println),
                new SlurmProcessProof(config.scontrol()), environment);
    }

    @Override
    public List<Object> commands() {
        return List.of(new SlurmCommand(), new SbatchCommand());
    }
}
