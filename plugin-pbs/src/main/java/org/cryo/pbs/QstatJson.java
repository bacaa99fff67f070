package org.cryo.pbs;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.cryo.api.SafeText;
import org.cryo.scheduler.SchedulerException;

/**
 * The JSON of {@code qstat -f -F json}, {@code qstat -Bf -F json} and {@code pbsnodes -av -F
 * json}, every value read as the text it is in the output.  OpenPBS 23.06 writes values that look
 * numeric as JSON numbers ({@code "Job_Name":1e5}, a 20-digit {@code Variable_List} entry, {@code
 * 3.10}): a parser's number would be 100000.0 or overflow, so the streaming parser's token text is
 * kept instead.  Objects become maps, arrays lists, everything else a String.
 */
public final class QstatJson {
    private static final JsonFactory FACTORY = JsonFactory.builder().build();
    /** A real answer is a few hundred kB for thousands of jobs; more is not PBS's. */
    private static final int MAX_DEPTH = 16;

    private QstatJson() {
    }

    /** The whole document; a one-line error naming {@code what} if it is not one JSON object. */
    public static Map<String, Object> parse(String json, String what) throws SchedulerException {
        try (JsonParser parser = FACTORY.createParser(json)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                throw new IOException("not a JSON object");
            }
            Map<String, Object> document = object(parser, 0);
            if (parser.nextToken() != null) {
                throw new IOException("text after the object");
            }
            return document;
        } catch (IOException e) {
            String reason = String.valueOf(e.getMessage()).split("\n")[0];
            throw new SchedulerException("unreadable output of " + what + " (not PBS's JSON: "
                    + SafeText.escape(reason, 120) + ")", e);
        }
    }

    private static Map<String, Object> object(JsonParser parser, int depth) throws IOException {
        if (depth > MAX_DEPTH) {
            throw new IOException("nested too deeply");
        }
        Map<String, Object> map = new LinkedHashMap<>();
        for (JsonToken token = parser.nextToken(); token != JsonToken.END_OBJECT; token = parser.nextToken()) {
            if (token != JsonToken.FIELD_NAME) {
                throw new IOException("expected a name, got " + token);
            }
            String name = parser.currentName();
            map.put(name, value(parser, parser.nextToken(), depth));
        }
        return map;
    }

    private static Object value(JsonParser parser, JsonToken token, int depth) throws IOException {
        if (token == null) {
            throw new IOException("unexpected end");
        }
        return switch (token) {
            case START_OBJECT -> object(parser, depth + 1);
            case START_ARRAY -> array(parser, depth + 1);
            case VALUE_NULL -> "";
            // the text as written: 1e5 stays "1e5", 12345678901234567890 and 3.10 stay as they are
            case VALUE_STRING, VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT, VALUE_TRUE, VALUE_FALSE -> parser.getText();
            default -> throw new IOException("unexpected " + token);
        };
    }

    private static List<Object> array(JsonParser parser, int depth) throws IOException {
        if (depth > MAX_DEPTH) {
            throw new IOException("nested too deeply");
        }
        List<Object> list = new ArrayList<>();
        for (JsonToken token = parser.nextToken(); token != JsonToken.END_ARRAY; token = parser.nextToken()) {
            list.add(value(parser, token, depth));
        }
        return list;
    }

    /** The object named {@code key} of {@code map}, empty if absent or not an object. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> objectAt(Map<String, Object> map, String key) {
        Object value = map.get(key);
        return value instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    }

    /** The text value {@code key} of {@code map}, empty if absent or not a scalar. */
    public static Optional<String> text(Map<String, Object> map, String key) {
        Object value = map.get(key);
        return value instanceof String s ? Optional.of(s) : Optional.empty();
    }

    /** The jobs of a {@code qstat -f -F json} document, by id (none: an empty map, as PBS writes for an unknown id). */
    public static Map<String, Object> jobs(Map<String, Object> document) {
        return objectAt(document, "Jobs");
    }
}
