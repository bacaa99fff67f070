package org.cryo.health;

/** Short names of precursors for drain reasons and messages. */
final class Precursors {
    private Precursors() {
    }

    static String of(Signal signal) {
        return switch (signal) {
            case MEMORY_CORRECTED -> "ECC corrected";
            case MEMORY_UNCORRECTED -> "ECC uncorrected";
            case PCIE_CORRECTED -> "PCIe AER corrected";
            case PCIE_UNCORRECTED -> "PCIe AER uncorrected";
            case INTERCONNECT_ERRORS -> "IB errors";
            case INTERCONNECT_LINK_DOWNED -> "IB link down";
            case ETHERNET_ERRORS -> "Ethernet errors";
            case TEMPERATURE -> "temperature";
            case FAN -> "fan";
            case GPU_CORRECTED -> "GPU ECC corrected";
            case GPU_UNCORRECTED -> "GPU ECC uncorrected";
            case GPU_XID_WARN, GPU_XID_EVACUATE, GPU_XID_FAIL -> "GPU XID";
        };
    }

    static String unit(Signal signal) {
        return switch (signal) {
            case MEMORY_CORRECTED, GPU_CORRECTED -> "corrected errors";
            case MEMORY_UNCORRECTED, GPU_UNCORRECTED -> "uncorrected errors";
            case PCIE_CORRECTED -> "correctable errors";
            case PCIE_UNCORRECTED -> "uncorrectable errors";
            case INTERCONNECT_LINK_DOWNED -> "link downs";
            case GPU_XID_WARN, GPU_XID_EVACUATE, GPU_XID_FAIL -> "XID events";
            default -> "errors";
        };
    }
}
