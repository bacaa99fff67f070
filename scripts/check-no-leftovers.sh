#!/usr/bin/env bash
# check-no-leftovers.sh - the last step of the test command: no test may leave a process running.
# Lists every process that runs a program of this build (native/target: test programs, the
# engine, benchmark programs) or a test job of the Slurm or Grid Engine cluster
# (/tmp/cryo-slurm/jobs, /tmp/cryo-slurm24/jobs, /tmp/cryo-sge/jobs), kills
# them, and exits 1 if there was any, so that a leaking test fails the run instead of piling up
# processes on the machine.  The Slurm 24.11 cluster's jobs live in its own mount namespace,
# which scripts/trixie/slurm24-down.sh cannot remove while anything lives there: what it had to
# end is in /tmp/cryo-slurm24/leftovers.txt, and counts here the same way.
set -uo pipefail
root=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
markers=("$root/native/target/" "/tmp/cryo-slurm/jobs/" "/tmp/cryo-slurm24/jobs/" "/tmp/cryo-sge/jobs/")
slurm24_leftovers=${CRYO_SLURM24_DIR:-/tmp/cryo-slurm24}/leftovers.txt

leftovers() {
    local dir pid exe cmd m
    for dir in /proc/[0-9]*; do
        pid=${dir#/proc/}
        [[ $pid == "$$" || $pid == "$BASHPID" ]] && continue
        exe=$(readlink "$dir/exe" 2>/dev/null) || exe=
        cmd=$(tr '\0' ' ' < "$dir/cmdline" 2>/dev/null) || cmd=
        [[ -z $exe && -z $cmd ]] && continue
        for m in "${markers[@]}"; do
            if [[ $exe == "$m"* || $cmd == *"$m"* ]]; then
                echo "$pid $cmd"
                break
            fi
        done
    done
}

ended_by_slurm24_down() {
    [[ -s $slurm24_leftovers ]] || return 1
    echo "check-no-leftovers: processes the tests left in the Slurm 24.11 cluster (ended by slurm24-down.sh):" >&2
    sed 's/^/  /' "$slurm24_leftovers" >&2
    rm -f "$slurm24_leftovers"
}
ended_by_slurm24_down && status=1 || status=0

# a test's last processes may still be on their way out (PID 1 here reaps orphans late)
for _ in $(seq 1 50); do
    found=$(leftovers)
    [[ -z $found ]] && { (( status )) || echo "check-no-leftovers: no test process left running"; exit "$status"; }
    sleep 0.2
done
echo "check-no-leftovers: processes left running by the tests (killed now):" >&2
printf '  %s\n' "$found" >&2
awk '{print $1}' <<< "$found" | xargs -r kill -9 2>/dev/null
exit 1
