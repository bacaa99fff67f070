"""An unmodified interpreter doing incremental work, for the real-program test.

Prints "READY <pid>", then "PROGRESS <i>" for each of 40 steps of a SHA-256
chain (one every 100 ms), then "RESULT <hex>"; recomputes the chain from
scratch and prints "PASS" if both agree.  A restart mid-way must continue
from the step where the checkpoint was taken.
"""
import hashlib
import os
import sys
import time

STEPS = 40


def step(digest, i):
    for _ in range(2000):
        digest = hashlib.sha256(digest + i.to_bytes(4, "little")).digest()
    return digest


def main():
    print("READY %d" % os.getpid(), flush=True)
    chain = [b"cryo"]
    digest = b"cryo"
    for i in range(1, STEPS + 1):
        digest = step(digest, i)
        chain.append(digest)          # grows the heap as it goes
        print("PROGRESS %d" % i, flush=True)
        time.sleep(0.1)
    print("RESULT %s" % digest.hex(), flush=True)
    check = b"cryo"
    for i in range(1, STEPS + 1):
        check = step(check, i)
    if check != digest or len(chain) != STEPS + 1:
        print("FAIL result %s, recomputed %s" % (digest.hex(), check.hex()), flush=True)
        return 1
    print("PASS", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
