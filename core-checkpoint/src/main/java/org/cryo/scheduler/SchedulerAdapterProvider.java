package org.cryo.scheduler;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.ServiceLoader;

/**
 * One scheduler's entry into Cryo, listed in
 * {@code META-INF/services/org.cryo.scheduler.SchedulerAdapterProvider} of its jar.  Everything
 * the core needs to know about a scheduler by name comes from here: how a job recognises that it
 * runs under it ({@link #detect}), where its catalog lives (the {@link BatchJob#catalogRoot} given
 * here and the {@link JobStatus#catalogRoot} its adapter gives must be the same directory), the
 * adapter that drives it ({@link #create}), and its {@code cryo <scheduler> ...} commands.
 */
public interface SchedulerAdapterProvider {
    /** The scheduler's name, as in {@link SchedulerAdapter#scheduler()} and {@code cryo job --scheduler NAME}. */
    String scheduler();

    /**
     * The batch job this process runs in, recognised from the variables the scheduler sets for a
     * job ({@code environment}); empty when this is not one of the scheduler's jobs.  Must not
     * fail: a job whose details cannot all be read is still recognised, with what is known.
     */
    Optional<BatchJob> detect(Map<String, String> environment);

    /**
     * How many nodes the batch job of {@code environment} (one {@link #detect} recognises) has, from
     * the scheduler's variables; empty when they do not say.  cr_run lets MPICH fork its proxies
     * on a job of one node (RunCommand#hydraForksItsProxies).
     */
    default OptionalInt nodes(Map<String, String> environment) {
        return OptionalInt.empty();
    }

    /** An adapter configured from {@code environment}; fails with a one-line message if it cannot be. */
    SchedulerAdapter create(Map<String, String> environment) throws SchedulerException;

    /**
     * The scheduler's own commands, added to {@code cryo} as subcommands: picocli command objects
     * (annotated with {@code @Command}, named there: {@code cryo slurm}).  Commands signal failure as
     * {@link org.cryo.cli.CommandExtension} documents.
     */
    default List<Object> commands() {
        return List.of();
    }

    /** Every provider on the class path, by scheduler name. */
    static List<SchedulerAdapterProvider> all() {
        List<SchedulerAdapterProvider> providers = new ArrayList<>();
        ServiceLoader.load(SchedulerAdapterProvider.class).forEach(providers::add);
        providers.sort(Comparator.comparing(SchedulerAdapterProvider::scheduler));
        return providers;
    }

    /** The provider for {@code scheduler} on the class path. */
    static SchedulerAdapterProvider find(String scheduler) throws SchedulerException {
        for (SchedulerAdapterProvider provider : all()) {
            if (provider.scheduler().equals(scheduler)) {
                return provider;
            }
        }
        List<String> known = all().stream().map(SchedulerAdapterProvider::scheduler).toList();
        throw new SchedulerException("no adapter for scheduler '" + org.cryo.api.SafeText.escape(scheduler)
                + "' on the class path" + (known.isEmpty() ? "" : " (there are: " + String.join(", ", known) + ")"));
    }

    /** The provider of the job this process runs in, if a provider recognises one. */
    static Optional<SchedulerAdapterProvider> detecting(Map<String, String> environment) {
        return all().stream().filter(provider -> provider.detect(environment).isPresent()).findFirst();
    }
}
