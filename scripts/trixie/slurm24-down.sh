#!/usr/bin/env bash
# slurm24-down.sh [--wipe] - stop everything slurm24-up.sh started: cancel all jobs, stop
# slurmrestd, both slurmd, slurmctld and munged (each by its pid file in the cluster's root,
# never by name: the host's 22.05 daemons have the same names), end whatever else still lives
# in the cluster's mount namespace, then remove the namespace (every mount in it goes with it),
# node2's network and UTS namespaces and the veth pair.  Leaves no daemon, mount, netns or veth;
# idempotent.  The tree and /tmp/cryo-slurm24/upper (configuration, munge and JWT keys, job
# state) stay so that the next slurm24-up.sh is fast; --wipe drops upper/ too.
set -uo pipefail
source "$(dirname "$(readlink -f "$0")")/slurm24-common.sh"
((EUID == 0)) || die "must run as root"
cd /

# stop_pid PID NAME: TERM that one process, wait, KILL if it lingers
stop_pid() {
    local pid=$1 name=$2
    [[ -n $pid ]] && live "$pid" || return 0
    log "stopping $name ($pid)"
    kill "$pid" 2>/dev/null
    wait_for 15 bash -c "! { [[ -r /proc/$pid/stat ]] && [[ \$(awk '{print \$3}' /proc/$pid/stat) != Z ]]; }" \
        || { log "$name ($pid) did not exit: SIGKILL"; kill -9 "$pid" 2>/dev/null; }
}

cancel_jobs() {
    local jobs
    jobs=$(in_root squeue -h -o %A 2>/dev/null | tr '\n' ' ')
    [[ -n ${jobs// /} ]] || return 0
    log "cancelling jobs: $jobs"
    in_root scancel $jobs 2>/dev/null
    # slurmstepd of a running batch step would outlive slurmd
    wait_for 30 bash -c "[[ -z \$(env -i nsenter --mount=$NSFILE squeue -h -t R,CG,S -o %A 2>/dev/null) ]]"
}

stop_slurmrestd() {
    local pid
    pid=$(cat "$SCHED24_DIR/slurmrestd.pid" 2>/dev/null || true)
    if [[ $pid =~ ^[0-9]+$ ]] && [[ $(cat "/proc/$pid/comm" 2>/dev/null) == slurmrestd ]]; then
        stop_pid "$pid" slurmrestd
    fi
    rm -f "$SCHED24_DIR/slurmrestd.pid"
}

stop_daemons() {
    local ctld d1 d2 munged
    ctld=$(root_daemon_pid /run/slurm/slurmctld.pid slurmctld)
    d1=$(root_daemon_pid "/run/slurm/slurmd-$NODE1_24.pid" slurmd)
    d2=$(root_daemon_pid "/run/slurm/slurmd-$NODE24.pid" slurmd)
    munged=$(root_daemon_pid /run/munge/munged.pid munged)
    if [[ -n $ctld ]] && in_root scontrol ping >/dev/null 2>&1; then
        cancel_jobs
        log "scontrol shutdown"
        in_root scontrol shutdown >/dev/null 2>&1
        wait_for 15 bash -c "! { [[ -r /proc/$ctld/stat ]] && [[ \$(awk '{print \$3}' /proc/$ctld/stat) != Z ]]; }"
    fi
    stop_pid "$d1" "slurmd $NODE1_24"
    stop_pid "$d2" "slurmd $NODE24"
    stop_pid "$ctld" slurmctld
    stop_pid "$munged" munged
}

# Whatever a job left (a restarted process, a slurmstepd): it is the cluster's, and the
# namespace cannot go while it lives.  They are written to $LEFTOVERS24 too, which
# scripts/check-no-leftovers.sh reports as a test that leaked a process.
end_leftovers() {
    local left pid
    left=$(processes_in_ns | tr '\n' ' ')
    [[ -n ${left// /} ]] || return 0
    log "ending what still runs in the cluster's namespace: $left"
    for pid in $left; do echo "$pid $(tr '\0' ' ' < /proc/$pid/cmdline 2>/dev/null)"; done >> "$LEFTOVERS24"
    for pid in $left; do kill "$pid" 2>/dev/null; done
    wait_for 10 bash -c "$(declare -f live processes_in_ns ns_is_up is_mountpoint); NSFILE=$NSFILE; [[ -z \$(processes_in_ns) ]]" && return 0
    for pid in $(processes_in_ns); do kill -9 "$pid" 2>/dev/null; done
    wait_for 10 bash -c "$(declare -f live processes_in_ns ns_is_up is_mountpoint); NSFILE=$NSFILE; [[ -z \$(processes_in_ns) ]]"
}

remove_namespaces() {
    if ns_is_up; then
        left=$(processes_in_ns | tr '\n' ' ')
        [[ -z ${left// /} ]] || die "processes still live in the cluster's namespace: $left; not removing it"
        umount "$NSFILE"
    fi
    rm -f "$NSFILE"
    local uts
    for uts in "$UTS24_FILE" "$UTS1_24_FILE"; do
        is_mountpoint "$uts" && umount "$uts"
        rm -f "$uts"
    done
    ip link del "$VETH24_HOST" 2>/dev/null
    [[ -e /run/netns/$NETNS24 ]] && ip netns del "$NETNS24"
    is_mountpoint "$RUN24_DIR" && umount "$RUN24_DIR"
    [[ -d $RUN24_DIR ]] && rmdir "$RUN24_DIR"
    return 0
}

stop_slurmrestd
ns_is_up && stop_daemons
ns_is_up && end_leftovers
rm -f "$ENV24"   # the tests then say "the Slurm 24.11 test cluster is not up"
remove_namespaces
if [[ ${1:-} == --wipe ]]; then
    log "wiping the cluster's own files ($UPPER24: configuration, keys, job state)"
    rm -rf "$UPPER24" "$WORK24" "$SCHED24_DIR/tree"
fi
log "down"
exit 0
