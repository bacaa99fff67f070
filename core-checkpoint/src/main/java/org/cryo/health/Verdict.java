package org.cryo.health;

import java.util.Comparator;
import java.util.List;

/**
 * What the policy says about the node at one time: the level (after hysteresis), the level the
 * readings alone would give, and every finding at warn or above, worst first.
 */
public record Verdict(Level level, Level raw, List<Finding> findings, long at, int readings) {
    public Verdict {
        // worst first; among equals the most specific series (a DIMM before its controller)
        findings = findings.stream().sorted(Comparator.comparing(Finding::level).reversed()
                .thenComparing(Comparator.comparingInt((Finding f) -> f.series().length()).reversed())).toList();
    }

    /** The worst finding, the one a drain reason names; null when there is none. */
    public Finding worst() {
        return findings.isEmpty() ? null : findings.get(0);
    }

    /**
     * A drain reason naming the precursor, short enough for a scheduler's reason field:
     * "cryo health evacuate: ECC: edac mc0/dimm0 ...: 250 corrected errors within 1h (evacuate at 200)".
     */
    public String reason() {
        Finding worst = worst();
        String text = "cryo health " + level.label() + (worst == null ? ""
                : ": " + worst.describe() + (findings.size() > 1 ? " (+" + (findings.size() - 1) + " more)" : ""));
        return text.length() > 240 ? text.substring(0, 237) + "..." : text;
    }
}
