package org.cryo.health.monitor;

import java.util.ArrayList;
import java.util.List;
import org.cryo.health.Reading;
import org.cryo.health.Signal;

/**
 * NVIDIA GPUs through {@code nvidia-smi --query-gpu}: temperature (against the slowdown and
 * shutdown temperatures, where the driver gives them) and volatile ECC error totals, corrected
 * and uncorrected.  Present when the tool is on the path (or configured).  "[N/A]" fields (no
 * ECC on consumer boards) are skipped silently: they are not an error.
 */
public final class NvidiaSmiMonitor implements HealthMonitor {
    static final String QUERY = "index,temperature.gpu,temperature.gpu.tlimit,ecc.errors.corrected.volatile.total,"
            + "ecc.errors.uncorrected.volatile.total";

    private final String nvidiaSmi;

    public NvidiaSmiMonitor(String nvidiaSmi) {
        this.nvidiaSmi = nvidiaSmi;
    }

    @Override
    public String name() {
        return "nvidia-smi";
    }

    @Override
    public String where() {
        return nvidiaSmi;
    }

    @Override
    public boolean present(SysfsTree tree) {
        return Executables.found(nvidiaSmi);
    }

    @Override
    public List<Reading> read(SysfsTree tree) {
        var output = ToolOutput.run(tree.notices(), name(), List.of(Executables.resolve(nvidiaSmi),
                "--query-gpu=" + QUERY, "--format=csv,noheader,nounits"));
        List<Reading> readings = new ArrayList<>();
        if (output.isEmpty()) {
            return readings;
        }
        for (String line : output.get().strip().split("\n")) {
            String[] f = line.split(",");
            if (f.length != 5 || !f[0].strip().matches("\\d{1,3}")) {
                tree.notices().value(name() + ": unexpected line '" + line.strip() + "'; ignored");
                continue;
            }
            String gpu = "gpu" + f[0].strip();
            Double temp = number(f[1]);
            Double headroom = number(f[2]);   // degrees left before slowdown (tlimit), where supported
            if (temp != null) {
                double max = headroom != null ? temp + headroom : Double.NaN;
                readings.add(new Reading(Signal.TEMPERATURE, "nvidia " + gpu + " temperature.gpu", temp, max, Double.NaN));
            }
            Double corrected = number(f[3]);
            if (corrected != null) {
                readings.add(Reading.counter(Signal.GPU_CORRECTED, "nvidia " + gpu + " ecc corrected", corrected.longValue()));
            }
            Double uncorrected = number(f[4]);
            if (uncorrected != null) {
                readings.add(Reading.counter(Signal.GPU_UNCORRECTED, "nvidia " + gpu + " ecc uncorrected",
                        uncorrected.longValue()));
            }
        }
        return readings;
    }

    private static Double number(String field) {
        String text = field.strip();
        return text.matches("-?\\d{1,12}(\\.\\d+)?") ? Double.valueOf(text) : null;
    }
}
