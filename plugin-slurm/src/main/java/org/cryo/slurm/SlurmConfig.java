package org.cryo.slurm;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.cryo.scheduler.SchedulerException;

/**
 * The adapter's settings, from the environment:
 * <pre>
 *   SLURM_REST_URL        slurmrestd's JWT listener        (default http://127.0.0.1:6820)
 *   SLURM_REST_USER_NAME  the user requests act as          (default: the current user)
 *   SLURM_REST_TOKEN      a JWT for that user               (default: 'scontrol token')
 *   CRYO_SLURM_API        the REST API version              (default v0.0.38)
 *   CRYO_SCONTROL         the real scontrol                 (default /usr/bin/scontrol)
 * </pre>
 */
public record SlurmConfig(URI restUrl, String userName, String token, String apiVersion, String scontrol) {
    public static final String DEFAULT_URL = "http://127.0.0.1:6820";

    public static SlurmConfig from(Map<String, String> env) throws SchedulerException {
        String scontrol = value(env, "CRYO_SCONTROL",
                Files.isExecutable(Path.of("/usr/bin/scontrol")) ? "/usr/bin/scontrol" : "scontrol");
        String user = value(env, "SLURM_REST_USER_NAME", System.getProperty("user.name"));
        String token = value(env, "SLURM_REST_TOKEN", null);
        if (token == null) {
            token = tokenFromScontrol(scontrol, user);
        }
        URI url;
        try {
            url = URI.create(value(env, "SLURM_REST_URL", DEFAULT_URL));
        } catch (IllegalArgumentException e) {
            throw new SchedulerException("SLURM_REST_URL is not a URL: " + env.get("SLURM_REST_URL"));
        }
        return new SlurmConfig(url, user, token, value(env, "CRYO_SLURM_API", "v0.0.38"), scontrol);
    }

    /** The REST client for the configured API version. */
    public SlurmApi api() throws SchedulerException {
        return switch (apiVersion) {
            case "v0.0.38" -> new SlurmApiV0038(restUrl, userName, token);
            default -> throw new SchedulerException("slurmrestd API " + apiVersion + " is not supported (supported: v0.0.38)");
        };
    }

    /** 'scontrol token' prints SLURM_JWT=...; it needs AuthAltTypes=auth/jwt in slurm.conf. */
    private static String tokenFromScontrol(String scontrol, String user) throws SchedulerException {
        try {
            ProcessBuilder builder = new ProcessBuilder(scontrol, "token", "username=" + user, "lifespan=3600")
                    .redirectErrorStream(true);
            builder.environment().remove("SLURM_JWT");
            Process process = builder.start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (process.waitFor() != 0 || !output.startsWith("SLURM_JWT=")) {
                throw new SchedulerException("no SLURM_REST_TOKEN set and 'scontrol token' failed: " + output);
            }
            return output.substring("SLURM_JWT=".length());
        } catch (IOException e) {
            throw new SchedulerException("no SLURM_REST_TOKEN set and cannot run " + scontrol + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SchedulerException("interrupted while getting a Slurm token", e);
        }
    }

    private static String value(Map<String, String> env, String name, String fallback) {
        String value = env.get(name);
        return value == null || value.isBlank() ? fallback : value.strip();
    }
}
