package org.cryo.scheduler;

import java.util.Map;
import java.util.ServiceLoader;

/**
 * Creates an adapter from configuration (environment variables).  Listed in
 * {@code META-INF/services/org.cryo.scheduler.SchedulerAdapterProvider} of the adapter's jar.
 */
public interface SchedulerAdapterProvider {
    /** The scheduler's name, as in {@link SchedulerAdapter#scheduler()}. */
    String scheduler();

    /** An adapter configured from {@code environment}; fails with a one-line message if it cannot be. */
    SchedulerAdapter create(Map<String, String> environment) throws SchedulerException;

    /** The provider for {@code scheduler} on the class path. */
    static SchedulerAdapterProvider find(String scheduler) throws SchedulerException {
        for (SchedulerAdapterProvider provider : ServiceLoader.load(SchedulerAdapterProvider.class)) {
            if (provider.scheduler().equals(scheduler)) {
                return provider;
            }
        }
        throw new SchedulerException("no adapter for scheduler '" + scheduler + "' on the class path");
    }
}
