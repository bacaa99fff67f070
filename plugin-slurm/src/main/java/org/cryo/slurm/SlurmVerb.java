package org.cryo.slurm;

/**
 * What the adapter asks of Slurm, each verb once: {@link RestVersion} says which go through
 * slurmrestd in each API version, and {@link SlurmCommands} does every one with scontrol (or
 * sdiag), for the versions that lack it and when slurmrestd cannot be used.
 */
public enum SlurmVerb {
    JOB_INFO("job GET/list", "GET job/{id}, GET jobs", "scontrol show job"),
    NODE_INFO("node GET/list", "GET nodes", "scontrol show node"),
    HOLD_RELEASE("hold/release", "POST job/{id} {hold}", "scontrol hold/release"),
    JOB_UPDATE("job update: StartTime, TimeLimit, QOS", "POST job/{id}", "scontrol update JobId="),
    JOB_NODES("job update: ReqNodeList, ExcNodeList", "POST job/{id}", "scontrol update JobId="),
    NODE_UPDATE("node drain/resume", "POST node/{name} {state}", "scontrol update NodeName= State="),
    REQUEUE("requeue, requeuehold", "-", "scontrol requeue/requeuehold"),
    PING("ping", "GET ping", "scontrol ping"),
    DIAG("diag", "GET diag", "sdiag");

    private final String title;
    private final String restCall;
    private final String command;

    SlurmVerb(String title, String restCall, String command) {
        this.title = title;
        this.restCall = restCall;
        this.command = command;
    }

    /** "node drain/resume" */
    public String title() {
        return title;
    }

    /** The REST call, relative to /slurm/VERSION/ ("POST node/{name} {state}"). */
    public String restCall() {
        return restCall;
    }

    /** The command that does it without slurmrestd. */
    public String command() {
        return command;
    }
}
