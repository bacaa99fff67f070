package org.cryo.slurm;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The slurmrestd API versions Cryo speaks, newest first, and the one fact that differs between
 * them for the adapter: which {@link SlurmVerb}s each has as a REST call (the rest go through
 * scontrol).  Sources: the OpenAPI documents that slurmrestd 22.05.8 ({@code -s openapi/v0.0.38})
 * and 24.11.5 ({@code --generate-openapi-spec}) produce.  No version up to v0.0.42 can requeue a
 * job ({@code DELETE job/{id}} only signals or cancels); v0.0.38 has no node update, no node
 * lists in its job update, and 22.05.8 refuses the {@code begin_time} its own schema describes
 * ("Unable to parse time"), so its job updates go through scontrol too.  The shapes:
 * v0.0.38 is {@link SlurmApiV0038}; v0.0.40 to v0.0.42 share one ({@link SlurmApiV004x}).
 */
public enum RestVersion {
    V0042("v0.0.42", "24.11", allButRequeue()),
    V0041("v0.0.41", "24.05, 24.11", allButRequeue()),
    V0040("v0.0.40", "23.11 to 24.11", allButRequeue()),
    V0038("v0.0.38", "22.05, 23.02", EnumSet.of(SlurmVerb.JOB_INFO, SlurmVerb.NODE_INFO, SlurmVerb.HOLD_RELEASE,
            SlurmVerb.PING, SlurmVerb.DIAG));

    private final String name;
    private final String slurmReleases;
    private final Set<SlurmVerb> restVerbs;

    RestVersion(String name, String slurmReleases, Set<SlurmVerb> restVerbs) {
        this.name = name;
        this.slurmReleases = slurmReleases;
        this.restVerbs = restVerbs;
    }

    /** v0.0.40 to v0.0.42: everything but a requeue. */
    private static Set<SlurmVerb> allButRequeue() {
        return EnumSet.complementOf(EnumSet.of(SlurmVerb.REQUEUE));
    }

    /** "v0.0.42", as in the URL. */
    public String apiName() {
        return name;
    }

    /** The Slurm releases whose slurmrestd serves it. */
    public String slurmReleases() {
        return slurmReleases;
    }

    public boolean hasRest(SlurmVerb verb) {
        return restVerbs.contains(verb);
    }

    /** The client for this version on {@code rest}. */
    SlurmApi client(SlurmRest rest) {
        return this == V0038 ? new SlurmApiV0038(rest) : new SlurmApiV004x(rest, this);
    }

    /** "v0.0.41" (or "0.0.41") as a version Cryo speaks. */
    public static Optional<RestVersion> named(String name) {
        String wanted = name.startsWith("v") ? name : "v" + name;
        return Arrays.stream(values()).filter(v -> v.name.equals(wanted)).findFirst();
    }

    /** The newest of {@code served} that Cryo speaks. */
    public static Optional<RestVersion> newestOf(Set<String> served) {
        return Arrays.stream(values()).filter(v -> served.contains(v.name)).findFirst();
    }

    /** "v0.0.42, v0.0.41, v0.0.40, v0.0.38" */
    public static String known() {
        return List.of(values()).stream().map(RestVersion::apiName).collect(Collectors.joining(", "));
    }
}
