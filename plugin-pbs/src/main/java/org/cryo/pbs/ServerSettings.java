package org.cryo.pbs;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.cryo.scheduler.SchedulerException;

/**
 * The server and scheduler settings Cryo's PBS integration needs, idempotently: checkpoint
 * preemption ({@code preempt_order = C}, read from {@code qmgr -c 'list sched'}) and root of the MoM
 * host as an operator (the restart action's qsig -s suspend/resume; read from {@code qstat -Bf}).
 * Only what differs is set: a second {@code operators += root@node} would fail (PBSE_DUPLIST 15055).
 */
public final class ServerSettings {
    private final PbsCommands commands;
    private final String node;

    public ServerSettings(PbsCommands commands, String node) {
        this.commands = commands;
        this.node = node;
    }

    /** The qmgr commands still needed, each with why. */
    public List<String[]> needed() throws SchedulerException {
        List<String[]> needed = new ArrayList<>();
        Optional<String> order = preemptOrder();
        if (!order.map("C"::equals).orElse(false)) {
            needed.add(new String[] {"set sched preempt_order = C", "preemption by checkpoint; now "
                    + order.orElse("unset")});
        }
        if (!operators().contains("root@" + node)) {
            needed.add(new String[] {"set server operators += root@" + node, "the restart action's qsig -s"
                    + " suspend/resume from " + node});
        }
        return needed;
    }

    /** Runs what is needed; the lines to say (none: all in place). */
    public List<String> apply() throws SchedulerException {
        List<String> done = new ArrayList<>();
        for (String[] setting : needed()) {
            commands.qmgr(setting[0]);
            done.add("qmgr -c '" + setting[0] + "': done (" + setting[1] + ")");
        }
        return done;
    }

    private Optional<String> preemptOrder() throws SchedulerException {
        for (String line : commands.qmgr("list sched").split("\n")) {
            String[] kv = line.strip().split("\\s*=\\s*", 2);
            if (kv.length == 2 && kv[0].equals("preempt_order")) {
                return Optional.of(kv[1].strip());
            }
        }
        return Optional.empty();
    }

    private List<String> operators() throws SchedulerException {
        List<String> operators = new ArrayList<>();
        Map<String, Object> server = QstatJson.objectAt(QstatJson.parse(commands.serverJson(), "qstat -Bf -F json"), "Server");
        for (Object attributes : server.values()) {
            if (attributes instanceof Map<?, ?> map && map.get("operators") instanceof String list) {
                for (String entry : list.split(",")) {
                    operators.add(entry.strip());
                }
            }
        }
        return operators;
    }
}
