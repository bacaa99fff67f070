import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * An unmodified JVM doing incremental work on 20 threads, for the real-program test.
 * Prints "READY pid", then "PROGRESS i" for 40 steps (each step split over the pool, one every
 * 100 ms), then "RESULT n"; recomputes everything on one thread and prints "PASS" if both agree.
 */
public class Progress {
    static final int STEPS = 40, THREADS = 20;

    static long part(long seed, int step, int slice) {
        long x = seed ^ (step * 0x9E3779B97F4A7C15L) ^ slice;
        for (int i = 0; i < 20_000; i++) {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
        }
        return x;
    }

    public static void main(String[] args) throws Exception {
        System.out.println("READY " + ProcessHandle.current().pid());
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        long acc = 1;
        for (int step = 1; step <= STEPS; step++) {
            final long seed = acc;
            final int s = step;
            List<Future<Long>> parts = new ArrayList<>();
            for (int slice = 0; slice < THREADS; slice++) {
                final int sl = slice;
                parts.add(pool.submit(() -> part(seed, s, sl)));
            }
            for (Future<Long> f : parts) {
                acc = acc * 31 + f.get();
            }
            System.out.println("PROGRESS " + step);
            Thread.sleep(100);
        }
        pool.shutdown();
        System.out.println("RESULT " + Long.toHexString(acc));
        long check = 1;
        for (int step = 1; step <= STEPS; step++) {
            long seed = check;
            for (int slice = 0; slice < THREADS; slice++) {
                check = check * 31 + part(seed, step, slice);
            }
        }
        System.out.println(check == acc ? "PASS" : "FAIL recomputed " + Long.toHexString(check));
    }
}
