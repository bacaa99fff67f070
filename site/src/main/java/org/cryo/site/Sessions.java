package org.cryo.site;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Browser sessions: a random id in an HttpOnly, SameSite=Strict cookie, made from a verified
 * Slurm JWT, living no longer than the token did (and at most {@link #MAX_SECONDS}).  Each
 * identity has a CSRF token, an HMAC of the session (or, for the proxy's users, of the user
 * name) under a key made at start-up: a page of another origin can neither read it nor guess it.
 */
final class Sessions {
    static final String COOKIE = "cryo_session";
    static final long MAX_SECONDS = 12 * 3600;

    private record Session(String user, long expiresSeconds) {
    }

    private final SecureRandom random = new SecureRandom();
    private final byte[] csrfKey = new byte[32];
    private final Map<String, Session> sessions = new ConcurrentHashMap<>();

    Sessions() {
        random.nextBytes(csrfKey);
    }

    /** A new session for {@code user} until {@code expiresSeconds}; returns its id. */
    String open(String user, long expiresSeconds, long nowSeconds) {
        byte[] id = new byte[32];
        random.nextBytes(id);
        String text = Base64.getUrlEncoder().withoutPadding().encodeToString(id);
        sessions.put(text, new Session(user, Math.min(expiresSeconds, nowSeconds + MAX_SECONDS)));
        return text;
    }

    Optional<String> userOf(String id, long nowSeconds) {
        Session session = sessions.get(id);
        if (session == null) {
            return Optional.empty();
        }
        if (session.expiresSeconds() <= nowSeconds) {
            sessions.remove(id);
            return Optional.empty();
        }
        return Optional.of(session.user());
    }

    void close(String id) {
        sessions.remove(id);
    }

    /** The CSRF token of {@code identity}: bound to its session, or to the user for the proxy. */
    String csrfToken(Identity identity) {
        String subject = identity.session() != null ? "session:" + identity.session() : identity.how() + ":" + identity.user();
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(csrfKey, "HmacSHA256"));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(mac.doFinal(subject.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available: " + e.getMessage(), e);
        }
    }

    boolean csrfMatches(Identity identity, String given) {
        return given != null && MessageDigest.isEqual(csrfToken(identity).getBytes(StandardCharsets.US_ASCII),
                given.getBytes(StandardCharsets.US_ASCII));
    }
}
