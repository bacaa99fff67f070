"""A checkpointable batch computation with a known result, for the scheduler tests (core, Slurm, Grid Engine).

counting_job.py PROGRESS_FILE STEPS [SECONDS_PER_STEP [GATE]]
Appends "START pid=<pid> host=<host>" once, then "STEP <i> <host>" after each step of a
SHA-256 chain, then "RESULT <hex>" and "DONE".  While the file GATE exists it waits before its
next step (a test holds the work so that a slow machine cannot let it end too early).  A job restarted from a checkpoint carries on
after its last step: every STEP line appears exactly once and START only once.
"""
import hashlib
import os
import socket
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


def main():
    path, steps = sys.argv[1], int(sys.argv[2])
    pause = float(sys.argv[3]) if len(sys.argv) > 3 else 0.5
    gate = sys.argv[4] if len(sys.argv) > 4 else None
    if path == "--expected":
        print(expected(steps))
        return 0
    with open(path, "a", buffering=1) as progress:
        progress.write("START pid=%d host=%s\n" % (os.getpid(), socket.gethostname()))
        digest = b"cryo"
        for i in range(1, steps + 1):
            while gate and os.path.exists(gate):
                time.sleep(0.05)
            digest = step(digest, i)
            time.sleep(pause)
            progress.write("STEP %d %s\n" % (i, socket.gethostname()))
        progress.write("RESULT %s\nDONE\n" % digest.hex())
    return 0


if __name__ == "__main__":
    sys.exit(main())
