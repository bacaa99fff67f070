package org.cryo.health;

/**
 * What a reading measures, as the policy knows it.  Counters only ever rise until a reboot or a
 * driver reload resets them; the policy looks at how much they rose within a window.  Gauges
 * (temperatures, fan speeds) are looked at as they are and by their trend.
 */
public enum Signal {
    /** EDAC corrected errors, per memory controller and per DIMM. */
    MEMORY_CORRECTED("memory.corrected", true),
    /** EDAC uncorrected errors (the kernel survived one; the next may not be survivable). */
    MEMORY_UNCORRECTED("memory.uncorrected", true),
    /** PCIe AER correctable errors of a device. */
    PCIE_CORRECTED("pcie.corrected", true),
    /** PCIe AER non-fatal and fatal uncorrectable errors of a device. */
    PCIE_UNCORRECTED("pcie.uncorrected", true),
    /** InfiniBand/Omni-Path symbol, receive, remote physical and link recovery errors of a port. */
    INTERCONNECT_ERRORS("interconnect.errors", true),
    /** InfiniBand/Omni-Path link_downed of a port. */
    INTERCONNECT_LINK_DOWNED("interconnect.link_downed", true),
    /** Ethernet rx_crc_errors and rx_errors of an interface. */
    ETHERNET_ERRORS("ethernet.errors", true),
    /** A temperature in degrees Celsius, with the sensor's own max and crit where it has them. */
    TEMPERATURE("temperature", false),
    /** A fan's speed in rpm (0: stopped). */
    FAN("fan", false),
    /** GPU ECC errors (nvidia-smi, volatile: since the driver loaded), corrected. */
    GPU_CORRECTED("gpu.corrected", true),
    /** GPU ECC errors, uncorrected, and XID events counted as errors. */
    GPU_UNCORRECTED("gpu.uncorrected", true),
    /** NVIDIA XID events that say the GPU's memory is degrading (63, 92): warn. */
    GPU_XID_WARN("gpu.xid.warn", true),
    /** NVIDIA XID events after which the GPU needs a reset (48, 64, 74, 94): evacuate. */
    GPU_XID_EVACUATE("gpu.xid.evacuate", true),
    /** NVIDIA XID events that mean the GPU is gone or its work lost (79, 95): fail. */
    GPU_XID_FAIL("gpu.xid.fail", true);

    private final String key;
    private final boolean counter;

    Signal(String key, boolean counter) {
        this.key = key;
        this.counter = counter;
    }

    /** The prefix of its settings in the policy file ({@code memory.corrected.evacuate = 200}). */
    public String key() {
        return key;
    }

    /** A counter (rises until reset) rather than a gauge. */
    public boolean counter() {
        return counter;
    }
}
