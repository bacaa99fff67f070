package org.cryo.health;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The checkpoints in flight on this node, as its agent reports them ({@code /inflight}): each
 * {@link InFlight} sighting with how long it has been seen, its rate since then and, with the
 * previous context file's size as the total, the time left.  A checkpoint no longer seen is
 * forgotten, so the next one of the same job starts its own count.
 */
public final class InFlightCheckpoints {
    /** One checkpoint in flight: bytes written of the estimated total (-1: unknown), rate, time left (-1: unknown). */
    public record Report(String jobId, long written, long estimatedTotal, long elapsedMillis, double bytesPerSecond,
                         long leftMillis) {
    }

    private record FirstSeen(long at, long written) {
    }

    private final Map<Path, FirstSeen> seen = new ConcurrentHashMap<>();

    /** What is in flight into {@code directories} now (job id by directory; previous file sizes as totals). */
    public List<Report> report(Map<Path, String> directories, Map<Path, Long> previousSizes, long now) {
        List<Report> reports = new ArrayList<>();
        Set<Path> current = new java.util.HashSet<>();
        for (InFlight.Progress p : InFlight.scan(directories, previousSizes)) {
            current.add(p.directory());
            FirstSeen first = seen.computeIfAbsent(p.directory(), d -> new FirstSeen(now, p.written()));
            reports.add(reportOf(p, first.at(), first.written(), now));
        }
        seen.keySet().retainAll(current);
        return reports;
    }

    /** The rate is what was written since first seen; before a second sighting, none is known. */
    static Report reportOf(InFlight.Progress p, long firstAt, long firstWritten, long now) {
        long elapsed = Math.max(0, now - firstAt);
        double rate = elapsed > 0 ? Math.max(0, p.written() - firstWritten) * 1000.0 / elapsed : 0;
        long left = p.estimatedTotal() > 0 && rate > 0
                ? (long) (Math.max(0, p.estimatedTotal() - p.written()) * 1000.0 / rate) : -1;
        return new Report(p.jobId(), p.written(), p.estimatedTotal(), elapsed, rate, left);
    }
}
