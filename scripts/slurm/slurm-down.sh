#!/usr/bin/env bash
# slurm-down.sh - stop everything slurm-up.sh started: cancel all jobs, stop slurmrestd, both
# slurmd, slurmctld and munged, remove node2's namespaces.  Idempotent; packages, configuration
# and the JWT key stay so that the next slurm-up.sh is fast.  --wipe also drops slurmctld's job
# state.
set -uo pipefail
cd "$(dirname "$(readlink -f "$0")")"
source ./common.sh

# stop PIDFILE NAME: TERM that one process, wait, KILL if it lingers
stop() {
    local file=$1 name=$2 pid
    alive "$file" "$name" || { rm -f "$file"; return 0; }
    pid=$(cat "$file"); log "stopping $name ($pid)"; kill "$pid" 2>/dev/null
    wait_for 15 bash -c "! { [[ -r /proc/$pid/stat ]] && [[ \$(awk '{print \$3}' /proc/$pid/stat) != Z ]]; }" \
        || { log "$name ($pid) did not exit: SIGKILL"; kill -9 "$pid" 2>/dev/null; }
    rm -f "$file"
}

cancel_jobs() {
    local jobs
    jobs=$(squeue -h -o %A 2>/dev/null | tr '\n' ' ')
    [[ -n ${jobs// /} ]] || return 0
    log "cancelling jobs: $jobs"
    scancel $jobs 2>/dev/null
    # slurmstepd of a running batch step would outlive slurmd
    wait_for 30 bash -c '[[ -z $(squeue -h -t R,CG,S -o %A 2>/dev/null) ]]'
}

stop "$SCHED_DIR/slurmrestd.pid" slurmrestd
# Each daemon by its pid file, never by name: the Slurm 24.11 cluster's daemons (scripts/trixie/)
# have the same names, and waiting for 'pgrep -x slurmd' to find none took 15 s while it ran.
ours_stopped() {
    ! alive /run/slurmctld.pid slurmctld && ! alive "/run/slurmd-$HEAD_NODE.pid" slurmd && ! alive "/run/slurmd-$NODE2.pid" slurmd
}
if alive /run/slurmctld.pid slurmctld && scontrol ping >/dev/null 2>&1; then
    cancel_jobs
    log "scontrol shutdown"
    scontrol shutdown >/dev/null 2>&1
    wait_for 15 ours_stopped
fi
stop "/run/slurmd-$HEAD_NODE.pid" slurmd
stop "/run/slurmd-$NODE2.pid" slurmd
stop /run/slurmctld.pid slurmctld
stop /run/munge/munged.pid munged
rm -f "$SCHED_DIR/slurm.env"   # the tests then say "the Slurm test cluster is not up"

if mountpoint -q "$UTS_FILE" 2>/dev/null; then umount "$UTS_FILE"; fi
rm -f "$UTS_FILE"
ip link del "$VETH_HOST" 2>/dev/null
[[ -e /run/netns/$NETNS ]] && ip netns del "$NETNS"

if [[ ${1:-} == --wipe ]]; then
    log "wiping slurmctld job state (the JWT key stays)"
    find "$STATE" -mindepth 1 ! -name jwt_hs256.key -delete 2>/dev/null
    rm -rf /var/lib/slurm/slurmd-* 2>/dev/null
fi
log "down"
exit 0
