package org.cryo.slurm;

import java.util.Optional;
import java.util.Set;
import org.cryo.scheduler.SchedulerException;

/**
 * What Cryo and a slurmrestd agreed on: the versions it serves (from its OpenAPI document; empty
 * when a site pinned one and it was not asked), the newest of them Cryo speaks or the pinned one,
 * and the Slurm release its ping reports; or why it cannot be used (then every verb goes
 * through scontrol).
 *
 * @param pinned  CRYO_SLURM_API, "auto" when the version is negotiated
 * @param problem one line naming the URL, when slurmrestd cannot be used; else null
 */
public record RestSession(String url, String pinned, Set<String> served, RestVersion version, String slurmRelease,
                          String problem) {
    public static final String AUTO = "auto";

    public boolean usable() {
        return problem == null;
    }

    /**
     * Asks slurmrestd.  {@code pinned} "auto": the newest version both speak (v0.0.38 on 22.05,
     * v0.0.42 on 24.11); a version name: that one, unasked.  Either way a ping proves that
     * slurmctld takes the token (24.11 serves its document to any token, 22.05 only fails later).
     */
    static Negotiated negotiate(SlurmRest rest, String pinned) throws SchedulerException {
        Set<String> served = Set.of();
        RestVersion version;
        try {
            if (pinned.equals(AUTO)) {
                served = rest.servedVersions();
                Optional<RestVersion> newest = RestVersion.newestOf(served);
                if (newest.isEmpty()) {
                    return failed(rest, pinned, served, "slurmrestd at " + rest.url() + " serves "
                            + (served.isEmpty() ? "no Slurm API" : String.join(", ", served))
                            + ", none of which Cryo speaks (" + RestVersion.known() + ")");
                }
                version = newest.get();
            } else {
                version = RestVersion.named(pinned).orElseThrow(() -> new SchedulerException("CRYO_SLURM_API="
                        + pinned + " is not an API version Cryo speaks (" + RestVersion.known() + ", or auto)"));
            }
        } catch (SlurmRest.Unavailable e) {
            return failed(rest, pinned, served, e.getMessage());
        }
        SlurmApi api = version.client(rest);
        try {
            String release = api.ping();
            return new Negotiated(new RestSession(rest.url(), pinned, served, version, release, null), api);
        } catch (SlurmRest.Unavailable e) {
            return failed(rest, pinned, served, e.getMessage());
        } catch (SchedulerException e) {
            return failed(rest, pinned, served, "slurmrestd at " + rest.url() + ": " + version.apiName()
                    + (pinned.equals(AUTO) ? "" : " (CRYO_SLURM_API)") + ": " + e.getMessage());
        }
    }

    /** No usable slurmrestd, before it was even asked (no token). */
    static Negotiated unusable(String url, String pinned, String problem) {
        return new Negotiated(new RestSession(url, pinned, Set.of(), null, null, problem), null);
    }

    private static Negotiated failed(SlurmRest rest, String pinned, Set<String> served, String problem) {
        return new Negotiated(new RestSession(rest.url(), pinned, served, null, null, problem), null);
    }

    /** The session and its client (null when unusable). */
    record Negotiated(RestSession session, SlurmApi api) {
    }
}
