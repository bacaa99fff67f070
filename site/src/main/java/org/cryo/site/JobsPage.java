package org.cryo.site;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * One page of the jobs list, as {@code GET /api/jobs?offset=&limit=&sort=&order=&filter=} asks for
 * it: the jobs whose id, owner, node or state contain every word of the filter, sorted by one
 * column, {@code limit} of them from {@code offset}.  The server does this so that a cluster's
 * thousand jobs cost the page fifty rows.
 */
final class JobsPage {
    static final int DEFAULT_LIMIT = 50;
    static final int MAX_LIMIT = 1000;
    private static final int MAX_FILTER = 200;
    /** The columns the list sorts by (the page's), "job" by default. */
    static final Set<String> SORTS = Set.of("job", "owner", "state", "node", "age", "bytes", "interval", "restarts",
            "moves");

    /** A request that is not one: its one-line reason. */
    static final class BadQuery extends Exception {
        BadQuery(String message) {
            super(message);
        }
    }

    /** What the request asks: checked, with the defaults filled in. */
    record Query(int offset, int limit, String sort, boolean descending, List<String> words) {
        String filter() {
            return String.join(" ", words);
        }
    }

    private JobsPage() {
    }

    /** The query string of {@code /api/jobs}, checked field by field; null or "" is the first page by job id. */
    static Query parse(String rawQuery) throws BadQuery {
        Map<String, String> fields = new LinkedHashMap<>();
        if (rawQuery != null && !rawQuery.isEmpty()) {
            for (String pair : rawQuery.split("&")) {
                int eq = pair.indexOf('=');
                String name = decode(eq < 0 ? pair : pair.substring(0, eq));
                String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
                if (!Set.of("offset", "limit", "sort", "order", "filter").contains(name)) {
                    throw new BadQuery("unknown parameter '" + org.cryo.api.SafeText.escape(name)
                            + "' (offset, limit, sort, order, filter)");
                }
                if (fields.put(name, value) != null) {
                    throw new BadQuery("parameter " + name + " given twice");
                }
            }
        }
        int offset = number(fields, "offset", 0, 0, Integer.MAX_VALUE);
        int limit = number(fields, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT);
        String sort = fields.getOrDefault("sort", "job");
        if (!SORTS.contains(sort)) {
            throw new BadQuery("cannot sort by '" + org.cryo.api.SafeText.escape(sort) + "' (" + String.join(", ",
                    SORTS.stream().sorted().toList()) + ")");
        }
        String order = fields.getOrDefault("order", "asc");
        if (!order.equals("asc") && !order.equals("desc")) {
            throw new BadQuery("order is asc or desc, not '" + org.cryo.api.SafeText.escape(order) + "'");
        }
        String filter = fields.getOrDefault("filter", "");
        if (filter.length() > MAX_FILTER) {
            throw new BadQuery("filter longer than " + MAX_FILTER + " characters");
        }
        List<String> words = List.of(filter.toLowerCase(Locale.ROOT).strip().split("\\s+")).stream()
                .filter(w -> !w.isEmpty()).toList();
        return new Query(offset, limit, sort, order.equals("desc"), words);
    }

    private static String decode(String text) throws BadQuery {
        try {
            return URLDecoder.decode(text, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new BadQuery("not a query string: " + org.cryo.api.SafeText.escape(text));
        }
    }

    private static int number(Map<String, String> fields, String name, int otherwise, int min, int max) throws BadQuery {
        String text = fields.get(name);
        if (text == null) {
            return otherwise;
        }
        if (!text.matches("\\d{1,9}") || Long.parseLong(text) < min || Long.parseLong(text) > max) {
            throw new BadQuery(name + " is a number from " + min + " to " + max + ", not '"
                    + org.cryo.api.SafeText.escape(text) + "'");
        }
        return Integer.parseInt(text);
    }

    /** Whether the row's job id, owner, node or state contains every word. */
    static boolean matches(JsonNode row, List<String> words) {
        String text = (row.path("job").asText() + " " + row.path("owner").asText() + " " + row.path("node").asText() + " "
                + row.path("state").asText()).toLowerCase(Locale.ROOT);
        return words.stream().allMatch(text::contains);
    }

    /** The rows that match, in the query's order (ties by job id), from its offset, at most its limit. */
    static List<JsonNode> select(List<JsonNode> rows, Query query, long now) {
        List<JsonNode> matched = new ArrayList<>();
        for (JsonNode row : rows) {
            if (matches(row, query.words())) {
                matched.add(row);
            }
        }
        Comparator<JsonNode> byColumn = comparator(query.sort(), now);
        if (query.descending()) {
            byColumn = byColumn.reversed();
        }
        matched.sort(byColumn.thenComparing(comparator("job", now)));
        return matched;
    }

    /** A column's order: numbers as numbers (job ids too), a job without the value last when ascending. */
    static Comparator<JsonNode> comparator(String sort, long now) {
        return switch (sort) {
            case "age" -> Comparator.comparingDouble(r -> r.has("latest")
                    ? now - Instant.parse(r.path("latest").path("at").asText()).toEpochMilli() : Double.MAX_VALUE);
            case "bytes" -> Comparator.comparingDouble(r -> r.path("latest").path("bytes").asDouble(-1));
            case "interval" -> Comparator.comparingDouble(r -> r.path("intervalSeconds").asDouble(Double.MAX_VALUE));
            case "restarts" -> Comparator.comparingInt(r -> r.path("restarts").asInt(0));
            case "moves" -> Comparator.comparing(r -> r.path("ranOn").toString());
            case "job" -> Comparator.comparing((JsonNode r) -> numericPart(r.path("job").asText()))
                    .thenComparing(r -> r.path("job").asText());
            default -> Comparator.comparing(r -> r.path(sort).asText());
        };
    }

    /** 42 for "42", "42_3" (array tasks) and "42.server" (PBS), so that 9 sorts before 10; a name sorts after every number. */
    private static long numericPart(String id) {
        java.util.regex.Matcher m = LEADING_NUMBER.matcher(id);
        return m.matches() ? Long.parseLong(m.group(1)) : Long.MAX_VALUE;
    }

    private static final java.util.regex.Pattern LEADING_NUMBER = java.util.regex.Pattern.compile("(\\d{1,18})(?:[_.\\[].*)?");

    /** The answer: the page's rows and what they are a page of. */
    static ObjectNode answer(ObjectMapper json, Query query, int total, List<JsonNode> matched, List<ObjectNode> page) {
        ObjectNode root = json.createObjectNode();
        root.put("total", total);
        root.put("matched", matched.size());
        root.put("offset", query.offset());
        root.put("limit", query.limit());
        root.put("sort", query.sort());
        root.put("order", query.descending() ? "desc" : "asc");
        root.put("filter", query.filter());
        root.putArray("jobs").addAll(page);
        return root;
    }
}
