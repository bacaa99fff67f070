package org.cryo.slurm;

import java.util.List;

/**
 * A job update ({@code scontrol update JobId=...}, REST {@code POST job/{id}}): only the fields
 * that are not null change.
 *
 * @param beginTime        StartTime, seconds since the epoch
 * @param timeLimitMinutes TimeLimit
 * @param qos              QOS
 * @param requiredNodes    ReqNodeList (expanded names)
 * @param excludedNodes    ExcNodeList (expanded names)
 */
public record JobUpdate(Long beginTime, Integer timeLimitMinutes, String qos, List<String> requiredNodes,
                        List<String> excludedNodes) {

    /** StartTime=now: a requeued job that waits for its BeginTime may start at once. */
    public static JobUpdate startNow() {
        return new JobUpdate(System.currentTimeMillis() / 1000, null, null, null, null);
    }

    public static JobUpdate timeLimit(int minutes) {
        return new JobUpdate(null, minutes, null, null, null);
    }

    public static JobUpdate qos(String qos) {
        return new JobUpdate(null, null, qos, null, null);
    }

    public static JobUpdate requiredNodes(List<String> nodes) {
        return new JobUpdate(null, null, null, List.copyOf(nodes), null);
    }

    public static JobUpdate excludedNodes(List<String> nodes) {
        return new JobUpdate(null, null, null, null, List.copyOf(nodes));
    }
}
