package org.cryo.slurm;

import java.util.List;
import java.util.function.Consumer;
import org.cryo.scheduler.SchedulerException;

/**
 * Each verb the way the version in use allows: through slurmrestd when {@link RestVersion} says
 * that version has it, else with {@link SlurmCommands}.  When slurmrestd cannot be used (not
 * answering, the token refused, no version Cryo speaks), or stops answering midway, every verb
 * goes through the commands, after one warning naming the URL.
 */
public final class SlurmControl implements SlurmClient {
    /** One verb, said once for both ways (REST clients and the commands are both {@link SlurmClient}s). */
    @FunctionalInterface
    private interface Call<T> {
        T on(SlurmClient client) throws SchedulerException;
    }

    private final SlurmApi rest;
    private final SlurmCommands commands;
    private final Consumer<String> warnings;
    private RestSession session;

    SlurmControl(RestSession.Negotiated negotiated, SlurmCommands commands, Consumer<String> warnings) {
        this.rest = negotiated.api();
        this.session = negotiated.session();
        this.commands = commands;
        this.warnings = warnings;
        if (!session.usable()) {
            warnFallback();
        }
    }

    /** Negotiates with the configured slurmrestd; {@code warnings} hears once when scontrol must stand in. */
    public static SlurmControl connect(SlurmConfig config, Consumer<String> warnings) throws SchedulerException {
        RestSession.Negotiated negotiated;
        try {
            negotiated = RestSession.negotiate(new SlurmRest(config.restUrl(), config.userName(), config.restToken()),
                    config.apiVersion());
        } catch (SlurmConfig.NoToken e) {
            negotiated = RestSession.unusable(config.restUrl().toString(), config.apiVersion(), e.getMessage());
        }
        return new SlurmControl(negotiated, new SlurmCommands(config.scontrol()), warnings);
    }

    public RestSession session() {
        return session;
    }

    public SlurmCommands commands() {
        return commands;
    }

    /** "REST v0.0.42 POST node/{name} {state}" or "scontrol update NodeName= State=". */
    public String route(SlurmVerb verb) {
        return viaRest(verb) ? "REST " + rest.version().apiName() + " " + verb.restCall() : verb.command();
    }

    /** "slurmrestd v0.0.42", or "scontrol" when slurmrestd cannot be used. */
    public String describe() {
        return session.usable() ? "slurmrestd " + session.version().apiName() : "scontrol (slurmrestd unusable)";
    }

    @Override
    public String ping() throws SchedulerException {
        return call(SlurmVerb.PING, SlurmClient::ping);
    }

    @Override
    public SlurmDiag diag() throws SchedulerException {
        return call(SlurmVerb.DIAG, SlurmClient::diag);
    }

    @Override
    public SlurmJob job(String jobId) throws SchedulerException {
        return call(SlurmVerb.JOB_INFO, client -> client.job(jobId));
    }

    @Override
    public List<SlurmJob> jobs() throws SchedulerException {
        return call(SlurmVerb.JOB_INFO, SlurmClient::jobs);
    }

    @Override
    public List<SlurmNode> nodes() throws SchedulerException {
        return call(SlurmVerb.NODE_INFO, SlurmClient::nodes);
    }

    @Override
    public void setHeld(String jobId, boolean held) throws SchedulerException {
        call(SlurmVerb.HOLD_RELEASE, client -> {
            client.setHeld(jobId, held);
            return null;
        });
    }

    @Override
    public void update(String jobId, JobUpdate update) throws SchedulerException {
        boolean nodes = update.requiredNodes() != null || update.excludedNodes() != null;
        boolean others = update.beginTime() != null || update.timeLimitMinutes() != null || update.qos() != null;
        // One request: a REST version that lacks either half sends the whole update to scontrol.
        boolean rest = (!nodes || viaRest(SlurmVerb.JOB_NODES)) && (!others || viaRest(SlurmVerb.JOB_UPDATE));
        call(rest, client -> {
            client.update(jobId, update);
            return null;
        });
    }

    @Override
    public void drainNode(String node, String reason) throws SchedulerException {
        call(SlurmVerb.NODE_UPDATE, client -> {
            client.drainNode(node, reason);
            return null;
        });
    }

    @Override
    public void resumeNode(String node) throws SchedulerException {
        call(SlurmVerb.NODE_UPDATE, client -> {
            client.resumeNode(node);
            return null;
        });
    }

    @Override
    public void requeue(String jobId, boolean hold) throws SchedulerException {
        call(SlurmVerb.REQUEUE, client -> {
            client.requeue(jobId, hold);
            return null;
        });
    }

    private boolean viaRest(SlurmVerb verb) {
        return session.usable() && rest.version().hasRest(verb);
    }

    private <T> T call(SlurmVerb verb, Call<T> call) throws SchedulerException {
        return call(viaRest(verb), call);
    }

    private <T> T call(boolean viaRest, Call<T> call) throws SchedulerException {
        if (viaRest && session.usable()) {
            try {
                return call.on(rest);
            } catch (SlurmRest.Unavailable e) {
                session = new RestSession(session.url(), session.pinned(), session.served(), session.version(),
                        session.slurmRelease(), e.getMessage());
                warnFallback();
            }
        }
        try {
            return call.on(commands);
        } catch (SchedulerException e) {
            // Without slurmrestd the commands were the only way: say why REST was not tried.
            throw session.usable() ? e : new SchedulerException(session.problem() + ", and " + e.getMessage(), e);
        }
    }

    private void warnFallback() {
        warnings.accept("warning: " + session.problem() + "; using scontrol instead");
    }
}
