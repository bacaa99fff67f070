package org.cryo.health;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.cryo.api.SafeText;
import org.cryo.config.ConfigKeys;

/**
 * Who may read what of the agent's API.  The endpoints a site opens ({@code agent.api.open},
 * default {@code health, metrics}: a node's level and readings, which a Prometheus scrape needs,
 * and which name no user and no file) answer a GET without a token; everything else
 * ({@code /jobs} and {@code /decisions}, which name users, context files and errors, and any
 * request that is not a GET, the place actions would go) answers only a request bearing the
 * token of {@code agent.token.file}.  The token is compared through its SHA-256 digest with
 * {@link MessageDigest#isEqual}, so neither its bytes nor its length leak through timing.
 */
public final class AgentAccess {
    /** The endpoints that may be opened; the others always need the token. */
    public static final Set<String> OPENABLE = Set.of("health", "metrics");
    /** {@code openssl rand -hex 16} gives 32: anything shorter is guessable over a network. */
    static final int MIN_TOKEN_LENGTH = 32;
    private static final int MAX_TOKEN_FILE = 4096;

    private final Set<String> open;
    private final byte[] digest;
    private final String missing;

    private AgentAccess(Set<String> open, byte[] digest, String missing) {
        this.open = Set.copyOf(open);
        this.digest = digest;
        this.missing = missing;
    }

    /** The token in {@code token} (null: none, only the open endpoints answer), {@code open} served without it. */
    public static AgentAccess of(Set<String> open, String token) {
        for (String name : open) {
            if (!OPENABLE.contains(name)) {
                throw new IllegalArgumentException(ConfigKeys.AGENT_API_OPEN.key() + ": '" + SafeText.escape(name)
                        + "' cannot be served without the token (health, metrics or none)");
            }
        }
        if (token != null) {
            validToken(token, "the token");
        }
        return new AgentAccess(open, token == null ? null : sha256(token), token == null ? "the agent has no token" : null);
    }

    /**
     * The site's settings ({@code agent.api.open}, {@code agent.token.file} in cryo.conf): a token
     * file that is missing leaves only the open endpoints; one that anyone but its owner (root or
     * this user) and its group could read, or a link, is refused.
     */
    public static AgentAccess configured(Map<String, String> environment) throws IOException {
        Set<String> open = openEndpoints(environment.getOrDefault(ConfigKeys.AGENT_API_OPEN.variable(),
                ConfigKeys.AGENT_API_OPEN.defaultValue()));
        Path file = tokenFile(environment);
        Optional<String> token = readToken(file);
        AgentAccess access = of(open, token.orElse(null));
        return token.isPresent() ? access : new AgentAccess(open, null, "the agent has no token (" + file + " is missing)");
    }

    /** {@code agent.token.file}, as configured. */
    public static Path tokenFile(Map<String, String> environment) {
        return Path.of(environment.getOrDefault(ConfigKeys.AGENT_TOKEN_FILE.variable(),
                ConfigKeys.AGENT_TOKEN_FILE.defaultValue()).strip());
    }

    /** "health, metrics", "none". */
    static Set<String> openEndpoints(String text) {
        Set<String> open = new LinkedHashSet<>();
        for (String name : text.toLowerCase(Locale.ROOT).split("[,\\s]+")) {
            if (!name.isEmpty() && !name.equals("none")) {
                open.add(name.startsWith("/") ? name.substring(1) : name);
            }
        }
        return open;
    }

    /**
     * The token in {@code file} (empty if there is none): a regular file, not a link, owned by
     * root or this user, that others can neither read nor write and its group cannot write (0600,
     * or 0640 for a console's service group), holding one token of printable characters.
     */
    public static Optional<String> readToken(Path file) throws IOException {
        PosixFileAttributes attributes;
        try {
            attributes = Files.readAttributes(file, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        if (!attributes.isRegularFile()) {
            throw new IOException(file + ": not a regular file (a link is not followed)");
        }
        String owner = attributes.owner().getName();
        if (!owner.equals("root") && !owner.equals(System.getProperty("user.name"))) {
            throw new IOException(file + ": owned by " + owner + ", not by root or " + System.getProperty("user.name"));
        }
        Set<PosixFilePermission> mode = attributes.permissions();
        if (mode.contains(PosixFilePermission.OTHERS_READ) || mode.contains(PosixFilePermission.OTHERS_WRITE)
                || mode.contains(PosixFilePermission.GROUP_WRITE)) {
            throw new IOException(file + ": readable or writable by others (mode "
                    + java.nio.file.attribute.PosixFilePermissions.toString(mode) + "; chmod 0600)");
        }
        byte[] bytes;
        try (var in = Files.newInputStream(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            bytes = in.readNBytes(MAX_TOKEN_FILE + 1);
        }
        if (bytes.length > MAX_TOKEN_FILE) {
            throw new IOException(file + ": larger than " + MAX_TOKEN_FILE + " bytes: not a token");
        }
        String token = new String(bytes, StandardCharsets.UTF_8).strip();
        validToken(token, file.toString());
        return Optional.of(token);
    }

    private static void validToken(String token, String where) {
        if (token.length() < MIN_TOKEN_LENGTH || !token.matches("[\\x21-\\x7e]+")) {
            throw new IllegalArgumentException(where + ": not a token (at least " + MIN_TOKEN_LENGTH
                    + " printable characters, no spaces: 'openssl rand -hex 32')");
        }
    }

    /** Whether {@code endpoint} ("health") answers a GET without the token. */
    public boolean isOpen(String endpoint) {
        return open.contains(endpoint);
    }

    public boolean hasToken() {
        return digest != null;
    }

    /**
     * Why a request with this {@code Authorization} header may not have {@code endpoint}; empty
     * when it may.  A token is compared in constant time.
     */
    public Optional<String> refusal(String endpoint, boolean get, String authorization) {
        if (get && isOpen(endpoint)) {
            return Optional.empty();
        }
        if (digest == null) {
            return Optional.of(missing + ": /" + endpoint + " is not served");
        }
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return Optional.of("/" + endpoint + " needs the agent's bearer token");
        }
        byte[] presented = sha256(authorization.substring(7).strip());
        return MessageDigest.isEqual(presented, digest) ? Optional.empty() : Optional.of("the token is not the agent's");
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("no SHA-256 in this JVM", e);
        }
    }
}
