"""A checkpointable batch computation with a known result, for the live PBS suite.

counting_job.py PROGRESS_FILE STEPS [SECONDS_PER_STEP [GATE [spin]]]
counting_job.py --expected STEPS
Appends "START pid=<pid> sid=<session>" once, then "STEP <i> sid=<session>" after each step of a
SHA-256 chain, then "RESULT <hex>" and "DONE".  While the file GATE exists it waits before its
next step (the test decides when the work may go on, so a slow machine cannot let it end too
early).  With "spin" it burns CPU instead of sleeping (PBS's -c c=MIN counts CPU time).  A job
restarted from a checkpoint carries on after its last step: every STEP line appears exactly once
and START only once.
"""
import hashlib
import os
import sys
import time


def step(digest, i):
    for _ in range(1000):
        digest = hashlib.sha256(digest + i.to_bytes(4, "little")).digest()
    return digest


def expected(steps):
    digest = b"cryo"
    for i in range(1, steps + 1):
        digest = step(digest, i)
    return digest.hex()


def pause(seconds, spin):
    if not spin:
        time.sleep(seconds)
        return
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


def main():
    if sys.argv[1] == "--expected":
        print(expected(int(sys.argv[2])))
        return 0
    path, steps = sys.argv[1], int(sys.argv[2])
    seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 0.5
    gate = sys.argv[4] if len(sys.argv) > 4 else None
    spin = len(sys.argv) > 5 and sys.argv[5] == "spin"
    with open(path, "a", buffering=1) as progress:
        progress.write("START pid=%d sid=%d\n" % (os.getpid(), os.getsid(0)))
        digest = b"cryo"
        for i in range(1, steps + 1):
            while gate and os.path.exists(gate):
                pause(0.05, spin)
            digest = step(digest, i)
            pause(seconds, spin)
            progress.write("STEP %d sid=%d\n" % (i, os.getsid(0)))
        progress.write("RESULT %s\nDONE\n" % digest.hex())
    return 0


if __name__ == "__main__":
    sys.exit(main())
