package org.cryo.health.monitor;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.cryo.health.Reading;
import org.cryo.health.Signal;

/**
 * rasdaemon's database ({@code /var/lib/rasdaemon/ras-mc_event.db}, table {@code mc_event}): the
 * memory errors it recorded, summed by type, read with the {@code sqlite3} tool (read-only).  Its
 * counts survive reboots, unlike EDAC's.  Present when both the database and sqlite3 are there.
 */
public final class RasdaemonMonitor implements HealthMonitor {
    static final String DATABASE = "/var/lib/rasdaemon/ras-mc_event.db";

    private final String sqlite3;

    public RasdaemonMonitor(String sqlite3) {
        this.sqlite3 = sqlite3;
    }

    @Override
    public String name() {
        return "rasdaemon";
    }

    @Override
    public String where() {
        return DATABASE + " (with " + sqlite3 + ")";
    }

    @Override
    public boolean present(SysfsTree tree) {
        return Files.isRegularFile(tree.path(DATABASE)) && Executables.found(sqlite3);
    }

    @Override
    public List<Reading> read(SysfsTree tree) {
        Path db = tree.path(DATABASE);
        var output = ToolOutput.run(tree.notices(), name(), List.of(Executables.resolve(sqlite3), "-readonly", "-batch",
                db.toString(), "SELECT err_type, SUM(err_count) FROM mc_event GROUP BY err_type;"));
        List<Reading> readings = new ArrayList<>();
        long corrected = 0;
        long uncorrected = 0;
        if (output.isEmpty()) {
            return readings;
        }
        for (String line : output.get().strip().split("\n")) {
            String[] fields = line.split("\\|");
            if (line.isBlank()) {
                continue;
            }
            if (fields.length != 2 || !fields[1].strip().matches("\\d{1,18}")) {
                tree.notices().value(name() + ": unexpected row '" + line + "'; ignored");
                continue;
            }
            long count = Long.parseLong(fields[1].strip());
            if (fields[0].strip().equalsIgnoreCase("Corrected")) {
                corrected += count;
            } else if (!fields[0].strip().equalsIgnoreCase("Info")) {
                uncorrected += count;
            }
        }
        readings.add(Reading.counter(Signal.MEMORY_CORRECTED, "rasdaemon mc_event corrected", corrected));
        readings.add(Reading.counter(Signal.MEMORY_UNCORRECTED, "rasdaemon mc_event uncorrected", uncorrected));
        return readings;
    }
}
