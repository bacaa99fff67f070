package org.cryo.site;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Slurm's JWT tokens as slurmrestd accepts them ({@code scontrol token}): HS256 over the cluster's
 * key file ({@code AuthAltParameters=jwt_key=FILE}, its bytes as they are), the user name in the
 * {@code sun} claim, an {@code exp} in the future.  Anything else (another algorithm, "none", a bad
 * signature, an expired or malformed token) is refused with a one-line reason.
 */
final class SlurmJwt {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Base64.Decoder B64 = Base64.getUrlDecoder();
    /** Clock skew allowed between the host that issued the token and this one. */
    private static final long SKEW_SECONDS = 60;

    private final byte[] key;

    SlurmJwt(byte[] key) {
        if (key.length < 16) {
            throw new IllegalArgumentException("the JWT key is too short (" + key.length + " bytes; Slurm's is 32 or more)");
        }
        this.key = key.clone();
    }

    static SlurmJwt fromKeyFile(Path file) throws IOException {
        return new SlurmJwt(Files.readAllBytes(file));
    }

    /** A refused token: why, in one line. */
    static final class Refused extends Exception {
        Refused(String reason) {
            super(reason);
        }
    }

    /** The user the token names; throws {@link Refused} unless it is valid now. */
    String verify(String token, long nowSeconds) throws Refused {
        String[] parts = token.strip().split("\\.", -1);
        if (parts.length != 3) {
            throw new Refused("not a JWT (three dot-separated parts expected)");
        }
        JsonNode header = decode(parts[0], "header");
        if (!"HS256".equals(header.path("alg").asText())) {
            throw new Refused("JWT algorithm '" + org.cryo.api.SafeText.escape(header.path("alg").asText())
                    + "' refused: only HS256 (Slurm's) is accepted");
        }
        byte[] expected = sign(parts[0] + "." + parts[1]);
        byte[] given;
        try {
            given = B64.decode(parts[2]);
        } catch (IllegalArgumentException e) {
            throw new Refused("JWT signature is not base64url");
        }
        if (!MessageDigest.isEqual(expected, given)) {
            throw new Refused("JWT signature does not match the cluster's key");
        }
        JsonNode claims = decode(parts[1], "claims");
        if (!claims.path("exp").canConvertToLong()) {
            throw new Refused("JWT has no expiry (exp)");
        }
        if (claims.path("exp").asLong() <= nowSeconds) {
            throw new Refused("JWT expired; get a new one with 'scontrol token'");
        }
        if (claims.has("iat") && claims.path("iat").asLong() > nowSeconds + SKEW_SECONDS) {
            throw new Refused("JWT issued in the future (iat); check the clocks");
        }
        String user = claims.path("sun").asText("");
        if (!Identity.validUserName(user)) {
            throw new Refused("JWT names no valid user (sun)");
        }
        return user;
    }

    /** A token as {@code scontrol token username=USER lifespan=SECONDS} makes one (for tests and tools). */
    String issue(String user, long nowSeconds, long lifespanSeconds) {
        String header = encode("{\"alg\":\"HS256\",\"typ\":\"JWT\"}");
        String claims = encode("{\"exp\":" + (nowSeconds + lifespanSeconds) + ",\"iat\":" + nowSeconds + ",\"sun\":\""
                + user + "\"}");
        byte[] signature = sign(header + "." + claims);
        return header + "." + claims + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(signature);
    }

    private static String encode(String json) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(StandardCharsets.UTF_8));
    }

    private static JsonNode decode(String part, String what) throws Refused {
        try {
            JsonNode node = JSON.readTree(B64.decode(part));
            if (node == null || !node.isObject()) {
                throw new Refused("JWT " + what + " is not a JSON object");
            }
            return node;
        } catch (IllegalArgumentException | IOException e) {
            throw new Refused("JWT " + what + " is not base64url JSON");
        }
    }

    private byte[] sign(String text) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(text.getBytes(StandardCharsets.US_ASCII));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available: " + e.getMessage(), e);
        }
    }

    static Optional<String> bearer(String authorization) {
        if (authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return Optional.of(authorization.substring(7).strip());
        }
        return Optional.empty();
    }
}
