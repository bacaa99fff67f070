#!/usr/bin/env bash
# requeue-times.sh [CYCLES]: issue 12's figures, checkpoint -> requeue -> resume, on each Slurm
# test cluster in turn (22.05, then 24.11): plugin-slurm's RequeueTimesTest (an administrator's
# requeue of one checkpointable job CYCLES times, default 5), each cluster started, used and
# stopped under its lock (flock /tmp/cryo-slurm.lock, /tmp/cryo-slurm24.lock).  Prints the
# TIMING lines (per cycle, then the medians); the full Maven output goes to
# plugin-slurm/target/requeue-times-CLUSTER.log.  Needs root, the build (make -C native, the
# Maven build) and CRYO_TRIXIE for the 24.11 cluster as scripts/test-all.sh does.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/../.."
cycles=${1:-5}
[[ $cycles =~ ^[1-9][0-9]?$ ]] || { echo "usage: requeue-times.sh [CYCLES (1-99)]" >&2; exit 2; }
status=0
for cluster in 22.05 24.11; do
    case $cluster in
        22.05) lock=/tmp/cryo-slurm.lock up=scripts/slurm/slurm-up.sh down=scripts/slurm/slurm-down.sh
               skip=-Dcryo.slurm24.skip=true ;;
        24.11) lock=/tmp/cryo-slurm24.lock up=scripts/trixie/slurm24-up.sh down=scripts/trixie/slurm24-down.sh
               skip=-Dcryo.slurm22.skip=true ;;
    esac
    log=plugin-slurm/target/requeue-times-$cluster.log
    mkdir -p plugin-slurm/target
    echo "Slurm $cluster ($(date -u '+%F %T UTC'), load $(cut -d' ' -f1-3 /proc/loadavg)):"
    if ! flock "$lock" bash -c 'bash "$1" && mvn -B -o -pl plugin-slurm -am test "$2" -Dtest=RequeueTimesTest \
            -Dsurefire.failIfNoSpecifiedTests=false -Dcryo.slurm.timing=true -Dcryo.slurm.cycles="$3"; rc=$?
            bash "$4"; exit $rc' requeue-times "$up" "$skip" "$cycles" "$down" > "$log" 2>&1; then
        echo "  failed: see $log"
        status=1
    fi
    grep '^TIMING requeue' "$log" | sed 's/^/  /' || true
done
exit $status
