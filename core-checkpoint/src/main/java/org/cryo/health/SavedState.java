package org.cryo.health;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;

/**
 * A node's health history between runs of a one-shot check ({@code cryo health}, Slurm's
 * HealthCheckProgram): rates and trends need the earlier samples.  A file that cannot be read
 * back (garbage, another version) is a notice and a fresh start, never a failure.
 */
final class SavedState {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int LIMIT = 16 << 20;

    private SavedState() {
    }

    static void load(NodeHealth health, Path file) {
        try {
            var text = PrivateFiles.read(file, LIMIT);
            if (text.isPresent()) {
                restore(health, JSON.readTree(text.get()));
            }
        } catch (IOException | RuntimeException e) {
            health.tree().notices().value(file + ": saved health state not usable (" + e.getMessage() + "); starting afresh");
        }
    }

    private static void restore(NodeHealth health, JsonNode root) {
        health.restoreLevel(Level.parse(root.path("level").asText("ok")), root.path("lowerPolls").asInt(0));
        for (JsonNode s : root.path("series")) {
            Signal signal = Signal.valueOf(s.path("signal").asText());
            String name = s.path("name").asText();
            Series series = health.restoreSeries(signal, name);
            for (JsonNode sample : s.path("samples")) {
                series.restore(new Series.Sample(sample.get(0).asLong(), sample.get(1).asDouble()),
                        s.path("max").asDouble(Double.NaN), s.path("crit").asDouble(Double.NaN),
                        s.path("everPositive").asBoolean(false));
            }
        }
    }

    static void save(NodeHealth health, Path file) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        root.put("level", health.heldLevel().label());
        root.put("lowerPolls", health.lowerPolls());
        ArrayNode all = root.putArray("series");
        for (Series s : health.series().values()) {
            ObjectNode node = all.addObject();
            node.put("signal", s.signal().name());
            node.put("name", s.name());
            if (!Double.isNaN(s.max())) {
                node.put("max", s.max());
            }
            if (!Double.isNaN(s.crit())) {
                node.put("crit", s.crit());
            }
            node.put("everPositive", s.everPositive());
            ArrayNode samples = node.putArray("samples");
            for (Series.Sample sample : s.samples()) {
                samples.addArray().add(sample.at()).add(sample.value());
            }
        }
        PrivateFiles.replace(file, JSON.writeValueAsString(root));
    }
}
