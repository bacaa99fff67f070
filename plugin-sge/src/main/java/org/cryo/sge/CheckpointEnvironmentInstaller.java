package org.cryo.sge;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.cryo.scheduler.SchedulerException;

/**
 * {@code cryo sge install-ckpt-env}: makes Grid Engine hold Cryo's checkpointing environment and
 * lists it in the queues' {@code ckpt_list}, changing only what differs; returns what it changed
 * (nothing on a second run).  Needs a Grid Engine manager (qconf refuses anyone else).
 */
public final class CheckpointEnvironmentInstaller {
    private final SgeCommands qconf;

    public CheckpointEnvironmentInstaller(SgeCommands qconf) {
        this.qconf = qconf;
    }

    /** Installs {@code wanted} and adds it to {@code queues} (all queues when empty). */
    public List<String> install(CheckpointEnvironment wanted, List<String> queues) throws SchedulerException {
        List<String> changes = new ArrayList<>();
        Optional<String> current = qconf.checkpointEnvironment(wanted.name());
        if (current.isEmpty()) {
            qconf.writeCheckpointEnvironment(wanted.text(), true);
            changes.add("added checkpointing environment " + wanted.name() + " (application-level, when "
                    + wanted.when() + ", ckpt_dir " + wanted.checkpointDir() + ")");
        } else {
            List<String> differences = wanted.differences(CheckpointEnvironment.parse(current.get()));
            if (!differences.isEmpty()) {
                qconf.writeCheckpointEnvironment(wanted.text(), false);
                for (String difference : differences) {
                    changes.add("modified checkpointing environment " + wanted.name() + ": " + difference);
                }
            }
        }
        List<String> targets = queues.isEmpty() ? qconf.queues() : queues;
        for (String queue : targets) {
            if (!listed(qconf.queueAttribute(queue, "ckpt_list"), wanted.name())) {
                qconf.addToQueueList(queue, "ckpt_list", wanted.name());
                changes.add("added " + wanted.name() + " to the ckpt_list of queue " + queue);
            }
        }
        return changes;
    }

    /** Whether a queue's list attribute ("NONE", "a b", "a,b") names {@code name}. */
    static boolean listed(String list, String name) {
        return Arrays.asList(list.split("[\\s,]+")).contains(name);
    }

    /** The environment named {@code name} as Grid Engine holds it, if there is one. */
    public Optional<Map<String, String>> current(String name) throws SchedulerException {
        return qconf.checkpointEnvironment(name).map(CheckpointEnvironment::parse);
    }
}
