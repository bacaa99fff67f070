package org.cryo.site;

import com.sun.net.httpserver.HttpExchange;
import java.net.InetAddress;
import java.util.Optional;
import java.util.Set;

/**
 * Who a request comes from, from the site's own identity, never a password table of Cryo's:
 * <ol>
 * <li>a Slurm JWT ({@code Authorization: Bearer TOKEN} or slurmrestd's {@code X-SLURM-USER-TOKEN}),
 *     verified with the cluster's key;</li>
 * <li>the trusted reverse proxy's user header (Open OnDemand style), off unless configured, and
 *     believed only from the configured proxy addresses;</li>
 * <li>the session cookie that {@code POST /api/login} made from a JWT.</li>
 * </ol>
 * A request with none of them is refused: views too.
 */
final class Authentication {
    static final String SLURM_TOKEN_HEADER = "X-SLURM-USER-TOKEN";

    private final SlurmJwt jwt;
    private final String proxyHeader;
    private final Set<InetAddress> proxies;
    private final Sessions sessions;

    Authentication(SlurmJwt jwt, String proxyHeader, Set<InetAddress> proxies, Sessions sessions) {
        this.jwt = jwt;
        this.proxyHeader = proxyHeader;
        this.proxies = Set.copyOf(proxies);
        this.sessions = sessions;
    }

    Sessions sessions() {
        return sessions;
    }

    /** A request that could not be authenticated: why, for the one-line 401 answer. */
    static final class Unauthenticated extends Exception {
        Unauthenticated(String reason) {
            super(reason);
        }
    }

    Identity identify(HttpExchange exchange) throws Unauthenticated {
        long now = System.currentTimeMillis() / 1000;
        Optional<String> token = SlurmJwt.bearer(exchange.getRequestHeaders().getFirst("Authorization"))
                .or(() -> Optional.ofNullable(exchange.getRequestHeaders().getFirst(SLURM_TOKEN_HEADER)));
        if (token.isPresent()) {
            return new Identity(verify(token.get(), now), "jwt", null);
        }
        if (proxyHeader != null && proxies.contains(exchange.getRemoteAddress().getAddress())) {
            String user = exchange.getRequestHeaders().getFirst(proxyHeader);
            if (user != null) {
                if (!Identity.validUserName(user.strip())) {
                    throw new Unauthenticated("the proxy's " + proxyHeader + " header names no valid user");
                }
                return new Identity(user.strip(), "proxy", null);
            }
        }
        Optional<String> session = cookie(exchange.getRequestHeaders().getFirst("Cookie"), Sessions.COOKIE);
        if (session.isPresent()) {
            Optional<String> user = sessions.userOf(session.get(), now);
            if (user.isPresent()) {
                return new Identity(user.get(), "session", session.get());
            }
            throw new Unauthenticated("your session has ended: sign in again with a Slurm token (scontrol token)");
        }
        throw new Unauthenticated("not signed in: sign in with a Slurm token ('scontrol token'), or send it as "
                + "'Authorization: Bearer TOKEN'" + (proxyHeader != null ? ", or come through the site's proxy" : ""));
    }

    /** The user a JWT names, for {@code POST /api/login} and bearer requests. */
    String verify(String token, long nowSeconds) throws Unauthenticated {
        if (jwt == null) {
            throw new Unauthenticated("Slurm tokens are not accepted here: the console was started without --jwt-key");
        }
        try {
            return jwt.verify(token, nowSeconds);
        } catch (SlurmJwt.Refused e) {
            throw new Unauthenticated("token refused: " + e.getMessage());
        }
    }

    /** The expiry of a verified token (seconds since the epoch). */
    static long expiryOf(String token) {
        try {
            String claims = new String(java.util.Base64.getUrlDecoder().decode(token.strip().split("\\.")[1]),
                    java.nio.charset.StandardCharsets.UTF_8);
            return new com.fasterxml.jackson.databind.ObjectMapper().readTree(claims).path("exp").asLong();
        } catch (Exception e) {
            return 0;
        }
    }

    static Optional<String> cookie(String header, String name) {
        if (header == null) {
            return Optional.empty();
        }
        for (String part : header.split(";")) {
            String[] pair = part.strip().split("=", 2);
            if (pair.length == 2 && pair[0].equals(name) && pair[1].matches("[A-Za-z0-9_-]{20,100}")) {
                return Optional.of(pair[1]);
            }
        }
        return Optional.empty();
    }
}
