package org.cryo.pbs;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.cryo.pbs.cli.PbsCommand;
import org.cryo.scheduler.BatchJob;
import org.cryo.scheduler.SchedulerAdapterProvider;

/**
 * PBS's entry into Cryo (META-INF/services): a PBS job recognised from its environment ({@link
 * PbsJobEnvironment}), the adapter over the PBS client commands of the installation
 * ({@code PBS_EXEC}, {@code /etc/pbs.conf}), and {@code cryo pbs}.
 */
public final class PbsAdapterProvider implements SchedulerAdapterProvider {
    public static final String NAME = "pbs";

    @Override
    public String scheduler() {
        return NAME;
    }

    @Override
    public Optional<BatchJob> detect(Map<String, String> environment) {
        return PbsJobEnvironment.detect(environment);
    }

    @Override
    public PbsAdapter create(Map<String, String> environment) {
        return new PbsAdapter(PbsCommands.configured(environment), environment);
    }

    @Override
    public List<Object> commands() {
        return List.of(new PbsCommand());
    }
}
