package org.cryo.slurm;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.cryo.api.BoundedCommand;
import org.cryo.scheduler.SchedulerException;

/**
 * The adapter's settings, from cryo.conf and the environment (docs/CONFIG.md: the keys
 * slurm.rest.url, slurm.rest.user, slurm.rest.token.file, slurm.api, slurm.scontrol):
 * <pre>
 *   SLURM_REST_URL        slurmrestd's JWT listener        (default http://127.0.0.1:6820)
 *   SLURM_REST_USER_NAME  the user requests act as          (default: the current user)
 *   SLURM_REST_TOKEN      a JWT for that user               (default: 'scontrol token')
 *   CRYO_SLURM_TOKEN_FILE a file holding that JWT (slurm.rest.token.file in cryo.conf): the
 *                         caller's own, readable by no one else
 *   CRYO_SLURM_API        the REST API version: auto (the newest slurmrestd serves that Cryo
 *                         speaks) or one of v0.0.42, v0.0.41, v0.0.40, v0.0.38   (default auto)
 *   CRYO_SCONTROL         the real scontrol                 (default /usr/bin/scontrol)
 * </pre>
 *
 * @param token null: ask 'scontrol token' when slurmrestd is first used
 */
public record SlurmConfig(URI restUrl, String userName, String token, String apiVersion, String scontrol) {
    public static final String DEFAULT_URL = "http://127.0.0.1:6820";
    public static final String TOKEN_FILE_VARIABLE = "CRYO_SLURM_TOKEN_FILE";
    private static final long TOKEN_TIMEOUT_SECONDS = 30;

    /** No JWT for slurmrestd: none configured and 'scontrol token' gave none. */
    static final class NoToken extends SchedulerException {
        private static final long serialVersionUID = 1L;

        NoToken(String message, Throwable cause) {
            super(message, cause);
        }
    }

    public static SlurmConfig from(Map<String, String> env) throws SchedulerException {
        String scontrol = value(env, "CRYO_SCONTROL",
                Files.isExecutable(Path.of("/usr/bin/scontrol")) ? "/usr/bin/scontrol" : "scontrol");
        String user = value(env, "SLURM_REST_USER_NAME", System.getProperty("user.name"));
        URI url;
        try {
            url = URI.create(value(env, "SLURM_REST_URL", DEFAULT_URL));
        } catch (IllegalArgumentException e) {
            throw new SchedulerException("SLURM_REST_URL is not a URL: " + env.get("SLURM_REST_URL"));
        }
        String token = value(env, "SLURM_REST_TOKEN", null);
        String tokenFile = value(env, TOKEN_FILE_VARIABLE, null);
        if (token == null && tokenFile != null) {
            token = tokenFrom(Path.of(tokenFile));
        }
        return new SlurmConfig(url, user, token,
                value(env, "CRYO_SLURM_API", RestSession.AUTO), scontrol);
    }

    /**
     * The JWT in a token file: a credential, so only a regular file of the caller's that no one
     * else can read or write is used (a token others could read is already leaked; one others
     * could write would make Cryo act as someone else).
     */
    static String tokenFrom(Path file) throws SchedulerException {
        try {
            if (!Files.isRegularFile(file, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                throw new SchedulerException("Slurm token file " + file + " is not a regular file");
            }
            long owner = ((Number) Files.getAttribute(file, "unix:uid", java.nio.file.LinkOption.NOFOLLOW_LINKS)).longValue();
            long me = ((Number) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).longValue();
            int mode = ((Number) Files.getAttribute(file, "unix:mode", java.nio.file.LinkOption.NOFOLLOW_LINKS)).intValue();
            if (owner != me || (mode & 077) != 0) {
                throw new SchedulerException("Slurm token file " + file + " must be yours with mode 0600 (it is uid "
                        + owner + ", mode " + Integer.toOctalString(mode & 0777) + ")");
            }
            String token = Files.readString(file, StandardCharsets.UTF_8).strip();
            if (token.startsWith("SLURM_JWT=")) {
                token = token.substring("SLURM_JWT=".length());
            }
            if (token.isEmpty() || token.chars().anyMatch(c -> c <= ' ' || c >= 0x7f)) {
                throw new SchedulerException("Slurm token file " + file + " holds no token");
            }
            return token;
        } catch (IOException e) {
            throw new SchedulerException("cannot read the Slurm token file " + file + ": " + e.getMessage(), e);
        }
    }

    /** SLURM_REST_TOKEN, else a fresh one from 'scontrol token' (it needs AuthAltTypes=auth/jwt in slurm.conf). */
    String restToken() throws NoToken {
        return token != null ? token : tokenFromScontrol();
    }

    /** 'scontrol token' prints SLURM_JWT=... */
    private String tokenFromScontrol() throws NoToken {
        try {
            ProcessBuilder builder = new ProcessBuilder(scontrol, "token", "username=" + userName, "lifespan=3600");
            builder.environment().remove("SLURM_JWT");
            BoundedCommand.Result result = BoundedCommand.run(builder, TOKEN_TIMEOUT_SECONDS);
            String output = result.timedOut() ? "no answer within " + TOKEN_TIMEOUT_SECONDS + " s" : result.output().strip();
            if (result.status() != 0 || !output.startsWith("SLURM_JWT=")) {
                throw new NoToken("slurmrestd at " + restUrl + ": no SLURM_REST_TOKEN set and 'scontrol token' failed: "
                        + org.cryo.api.SafeText.escape(output.lines().reduce((a, b) -> b).orElse("")), null);
            }
            return output.substring("SLURM_JWT=".length());
        } catch (IOException e) {
            throw new NoToken("slurmrestd at " + restUrl + ": no SLURM_REST_TOKEN set and cannot run " + scontrol + ": "
                    + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NoToken("interrupted while getting a Slurm token", e);
        }
    }

    private static String value(Map<String, String> env, String name, String fallback) {
        String value = env.get(name);
        return value == null || value.isBlank() ? fallback : value.strip();
    }
}
