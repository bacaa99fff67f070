"""An unmodified python3 using multiprocessing: a pool of worker processes (pipes, locks
on POSIX semaphores, handler threads) computing 40 chunks of a known sum, one every
100 ms.  Prints "READY <pid>", "PROGRESS <i>", then "RESULT <n>" and "PASS" if the
result is the one computed without the pool.
"""
import multiprocessing as mp
import os
import time

STEPS = 40


def chunk(i):
    return sum(k * k % 7919 for k in range(i * 20000, (i + 1) * 20000))


def main():
    print("READY %d" % os.getpid(), flush=True)
    total = 0
    with mp.get_context("fork").Pool(3) as pool:
        for i, part in enumerate(pool.imap(chunk, range(STEPS)), 1):
            total += part
            print("PROGRESS %d" % i, flush=True)
            time.sleep(0.1)
    print("RESULT %d" % total, flush=True)
    expected = sum(chunk(i) for i in range(STEPS))
    print("PASS" if total == expected else "FAIL pool %d, alone %d" % (total, expected), flush=True)


if __name__ == "__main__":
    main()
