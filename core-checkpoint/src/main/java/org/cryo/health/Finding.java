package org.cryo.health;

/**
 * One reason for a level: which series, what the policy saw, and the precursor's short name for
 * a drain reason ("ECC", "temperature", "IB errors").
 */
public record Finding(Level level, Signal signal, String series, String precursor, String reason) {
    /** "ECC: edac mc0/dimm0 dimm_ce_count: 250 corrected errors within 1h (evacuate at 200)" */
    public String describe() {
        return precursor + ": " + series + ": " + reason;
    }
}
