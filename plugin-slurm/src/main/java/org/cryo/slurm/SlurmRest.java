package org.cryo.slurm;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.cryo.scheduler.SchedulerException;

/**
 * The HTTP side of slurmrestd, the same for every API version: JWT headers
 * ({@code X-SLURM-USER-NAME}, {@code X-SLURM-USER-TOKEN}), HTTP/1.1 only (slurmrestd 22.05 answers
 * Java's h2c upgrade offer with a header Java cannot parse), Slurm's own error text as the one-line
 * message, and the OpenAPI document that says which versions a slurmrestd serves.  A slurmrestd
 * that cannot be used at all (not answering, credentials refused) is a {@link Unavailable}, so
 * that callers can turn to scontrol.
 */
final class SlurmRest {
    private static final Duration TIMEOUT = Duration.ofSeconds(20);
    /** "/slurm/v0.0.42/jobs/": the version part of a path in the OpenAPI document. */
    private static final Pattern VERSIONED_PATH = Pattern.compile("^/slurm/(v\\d+\\.\\d+\\.\\d+)/");

    /** slurmrestd cannot serve us at all: down, not answering, or refusing the credentials. */
    static final class Unavailable extends SchedulerException {
        private static final long serialVersionUID = 1L;

        Unavailable(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private final URI root;
    private final String userName;
    private final String token;
    private final HttpClient http;
    private final ObjectMapper json = new ObjectMapper();

    SlurmRest(URI url, String userName, String token) {
        this.root = URI.create(url.toString().replaceAll("/+$", "") + "/");
        this.userName = userName;
        this.token = token;
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
    }

    /** "http://127.0.0.1:6820", as messages name it. */
    String url() {
        return root.toString().replaceAll("/+$", "");
    }

    String userName() {
        return userName;
    }

    JsonNode get(String path, String what) throws SchedulerException {
        return send(request(path).GET(), what);
    }

    JsonNode post(String path, JsonNode body, String what) throws SchedulerException {
        return send(request(path).POST(HttpRequest.BodyPublishers.ofString(body.toString()))
                .header("Content-Type", "application/json"), what);
    }

    JsonNode delete(String path, String what) throws SchedulerException {
        return send(request(path).DELETE(), what);
    }

    ObjectMapper json() {
        return json;
    }

    /**
     * The API versions the OpenAPI document lists ({@code /slurm/v0.0.NN/...} paths), read as a
     * stream: 24.11's document is ~650 KB and only the names of its paths matter.  22.05 and 24.11
     * both serve it at {@code /openapi/v3} (authenticated, as every path).
     */
    Set<String> servedVersions() throws SchedulerException {
        HttpResponse<InputStream> response = exchange(request("openapi/v3").GET(), HttpResponse.BodyHandlers.ofInputStream(),
                "its OpenAPI document");
        try (InputStream body = response.body()) {
            if (response.statusCode() == 401) {
                throw refused(response.statusCode());
            }
            if (response.statusCode() != 200) {
                throw new SchedulerException("slurmrestd at " + url() + ": GET /openapi/v3 answered HTTP "
                        + response.statusCode() + ", so the API versions it serves are unknown (set CRYO_SLURM_API)");
            }
            return pathVersions(body);
        } catch (IOException e) {
            throw new SchedulerException("slurmrestd at " + url() + ": cannot read its OpenAPI document: " + e.getMessage(), e);
        }
    }

    private static Set<String> pathVersions(InputStream document) throws IOException {
        Set<String> versions = new TreeSet<>();
        try (JsonParser parser = new JsonFactory().createParser(document)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                throw new IOException("not a JSON object");
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String field = parser.currentName();
                parser.nextToken();
                if (!field.equals("paths") || parser.currentToken() != JsonToken.START_OBJECT) {
                    parser.skipChildren();
                    continue;
                }
                while (parser.nextToken() == JsonToken.FIELD_NAME) {
                    Matcher matcher = VERSIONED_PATH.matcher(parser.currentName());
                    if (matcher.find()) {
                        versions.add(matcher.group(1));
                    }
                    parser.nextToken();
                    parser.skipChildren();
                }
            }
        }
        return versions;
    }

    private HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(root.resolve(path.replaceFirst("^/+", ""))).timeout(TIMEOUT)
                .header("X-SLURM-USER-NAME", userName).header("X-SLURM-USER-TOKEN", token)
                .header("Accept", "application/json");
    }

    /** Sends an authenticated request; Slurm's own error text becomes the one-line message. */
    private JsonNode send(HttpRequest.Builder request, String what) throws SchedulerException {
        HttpResponse<String> response = exchange(request, HttpResponse.BodyHandlers.ofString(), what);
        JsonNode body = parse(response, what);
        if (response.statusCode() == 401) {
            throw refused(401);
        }
        if (isAuthenticationError(body)) {
            throw new Unavailable("slurmrestd at " + url() + " cannot act as user " + userName
                    + ": slurmctld refused the token or is down (" + firstError(body) + ")", null);
        }
        String error = firstError(body);
        if (error != null) {
            throw new SchedulerException(what + ": " + error);
        }
        if (response.statusCode() >= 300) {
            throw new SchedulerException(what + ": slurmrestd at " + url() + " answered HTTP " + response.statusCode());
        }
        return body;
    }

    private <T> HttpResponse<T> exchange(HttpRequest.Builder request, HttpResponse.BodyHandler<T> handler, String what)
            throws SchedulerException {
        try {
            return http.send(request.build(), handler);
        } catch (ConnectException e) {
            throw new Unavailable("slurmrestd at " + url() + " is not answering (connection refused)", e);
        } catch (HttpConnectTimeoutException e) {
            throw new Unavailable("slurmrestd at " + url() + " is not answering (connect timed out)", e);
        } catch (HttpTimeoutException e) {
            throw new Unavailable("slurmrestd at " + url() + " did not answer within " + TIMEOUT.toSeconds() + " s ("
                    + what + ")", e);
        } catch (IOException e) {
            throw new Unavailable("slurmrestd at " + url() + ": " + what + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SchedulerException("interrupted while asking slurmrestd at " + url() + " for " + what, e);
        }
    }

    private Unavailable refused(int status) {
        return new Unavailable("slurmrestd at " + url() + " refused the credentials of user " + userName
                + " (HTTP " + status + ")", null);
    }

    private JsonNode parse(HttpResponse<String> response, String what) throws SchedulerException {
        if (response.body() == null || response.body().isBlank()) {
            return json.createObjectNode();
        }
        try {
            return json.readTree(response.body());
        } catch (IOException e) {
            if (response.statusCode() == 401) {
                return json.createObjectNode();
            }
            if (response.statusCode() == 404) {   // a path of an API version it does not serve
                throw new SchedulerException(what + ": slurmrestd at " + url() + " has no " + response.uri().getPath()
                        + " (HTTP 404)", e);
            }
            throw new SchedulerException(what + ": slurmrestd at " + url() + " sent no JSON (HTTP "
                    + response.statusCode() + ")", e);
        }
    }

    /**
     * slurmctld's verdict on the token, which slurmrestd only forwards: 24.11 answers
     * "Protocol authentication error" (1007, HTTP 511); 22.05 cannot even load slurmctld's
     * configuration with a bad token ("slurmctld config is unable to load", HTTP 500).
     */
    private static boolean isAuthenticationError(JsonNode body) {
        for (JsonNode error : body.path("errors")) {
            if (error.path("error_number").asInt() == 1007
                    || error.path("description").asText("").equals("slurmctld config is unable to load")) {
                return true;
            }
        }
        return false;
    }

    /** "Unable to find JobId=9999" from {"errors":[{"description":...,"error":...}]}. */
    static String firstError(JsonNode body) {
        JsonNode errors = body.path("errors");
        if (!errors.isArray() || errors.isEmpty()) {
            return null;
        }
        JsonNode error = errors.get(0);
        String description = error.path("description").asText("");
        return description.isEmpty() ? error.path("error").asText("error " + error.path("error_number").asInt()) : description;
    }
}
