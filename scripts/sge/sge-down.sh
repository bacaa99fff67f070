#!/usr/bin/env bash
# sge-down.sh - stop everything sge-up.sh started: delete all jobs, stop both sge_execd and
# sge_qmaster, end any shepherd (and its job) that outlived them, remove node2's namespaces.
# Idempotent (fine when nothing runs or Grid Engine is not installed); packages, configuration
# and spool stay so that the next sge-up.sh is fast.
set -uo pipefail
cd "$(dirname "$(readlink -f "$0")")"
source ./common.sh
cd /

# The daemons remove their pid files while they shut down, not when they are gone: so the pids
# are read first and the processes themselves are waited for.
pid_of() { alive "$1" "$2" && cat "$1"; }

# wait_gone PID NAME SECONDS: true once PID is no live process named NAME
wait_gone() { wait_for "$3" bash -c "! { $(declare -f pid_alive); pid_alive $1 $2; }"; }

# stop PID NAME: TERM that one process, wait, KILL if it lingers
stop() {
    [[ -n $1 ]] && pid_alive "$1" "$2" || return 0
    log "stopping $2 ($1)"; kill "$1" 2>/dev/null
    wait_gone "$1" "$2" 15 || { log "$2 ($1) did not exit: SIGKILL"; kill -9 "$1" 2>/dev/null; }
}

qmaster_answers() { alive "$QMASTER_PID" sge_qmaster && qconf -sh >/dev/null 2>&1; }
no_jobs() { [[ -z $(qstat -u '*' 2>/dev/null) ]]; }

# qdel kills a running job at once (SIGKILL); a job whose execd is gone stays 'dr' until forced
delete_jobs() {
    no_jobs && return 0
    log "deleting all jobs"
    qdel -u '*' >/dev/null 2>&1
    wait_for 20 no_jobs && return 0
    log "forcing the deletion (qdel -f)"
    qdel -f -u '*' >/dev/null 2>&1
    wait_for 10 no_jobs
}

# qconf -ke stops an execd but leaves its jobs running, hence the jobs go first;
# qconf -km: qmaster's controlled shutdown takes ~8-10 s
shut_down_daemons() {
    local host
    for host in "$HEAD_HOST" "$NODE2"; do
        [[ -n ${EXECD[$host]} ]] || continue
        log "qconf -ke $host"
        qconf -ke "$host" >/dev/null 2>&1
    done
    for host in "$HEAD_HOST" "$NODE2"; do
        [[ -z ${EXECD[$host]} ]] || wait_gone "${EXECD[$host]}" sge_execd 20
    done
    log "qconf -km"
    qconf -km >/dev/null 2>&1
    wait_gone "$QMASTER" sge_qmaster 30
}

# kill_tree PID: KILL a process and all its descendants, children first
kill_tree() {
    local child
    for child in $(ps -o pid= --ppid "$1" 2>/dev/null); do kill_tree "$child"; done
    kill -9 "$1" 2>/dev/null
}

# Shepherds (and their jobs) that outlived their execd, e.g. after an execd was killed: each
# is found in the UTS namespace of one of the cluster's hosts and ended with its job.
end_leftover_shepherds() {
    local host pid
    for host in "$HEAD_HOST" "$NODE2"; do
        [[ $host != "$NODE2" ]] || node2_namespaces_exist || continue
        for pid in $(pids_on_host "$host" sge_shepherd); do
            log "$host: shepherd $pid outlived its execd: killing it and its job"
            kill_tree "$pid"
        done
    done
}

# Whatever still runs on node2 (a job's orphan reparented to PID 1) would keep its network
# namespace alive: everything in node2's UTS namespace is ours, so it ends here.
end_node2_processes() {
    local ns pid left=()
    node2_namespaces_exist || return 0
    ns=$(host_uts_ns "$NODE2") || return 0
    for pid in /proc/[0-9]*; do
        pid=${pid#/proc/}
        [[ $(readlink "/proc/$pid/ns/uts" 2>/dev/null) == "$ns" ]] && pid_alive "$pid" && left+=("$pid")
    done
    (( ${#left[@]} )) || return 0
    log "$NODE2: killing leftover processes ${left[*]}"
    kill -9 "${left[@]}" 2>/dev/null
}

remove_node2_namespaces() {
    local f
    for f in "$MNT_FILE" "$UTS_FILE"; do
        if mountpoint -q "$f" 2>/dev/null; then umount "$f"; fi
        rm -f "$f"
    done
    rm -f "$NODE2_HOSTS"
    ip link del "$VETH_HOST" 2>/dev/null
    [[ -e /run/netns/$NETNS ]] && ip netns del "$NETNS"
    if mountpoint -q "$NS_DIR" 2>/dev/null; then umount "$NS_DIR"; fi
    rmdir "$NS_DIR" 2>/dev/null
    return 0
}

declare -A EXECD=([$HEAD_HOST]=$(pid_of "$(execd_pidfile "$HEAD_HOST")" sge_execd)
                  [$NODE2]=$(pid_of "$(execd_pidfile "$NODE2")" sge_execd))
QMASTER=$(pid_of "$QMASTER_PID" sge_qmaster)
if [[ -x /usr/lib/gridengine/qstat ]] && qmaster_answers; then
    delete_jobs
    shut_down_daemons
fi
stop "${EXECD[$HEAD_HOST]}" sge_execd
stop "${EXECD[$NODE2]}" sge_execd
stop "$QMASTER" sge_qmaster
rm -f "$(execd_pidfile "$HEAD_HOST")" "$(execd_pidfile "$NODE2")" "$QMASTER_PID"
end_leftover_shepherds
end_node2_processes
# (zombies do not count: PID 1 reaps the daemons late)
left=$(ps -C sge_qmaster,sge_execd,sge_shepherd -o pid=,stat=,comm= | awk '$2 !~ /^Z/ {printf " %s %s", $1, $3}')
[[ -z ${left// /} ]] || { echo "sge-down: still running:$left" >&2; exit 1; }
rm -f "$ENV_FILE"   # the tests then say "the Grid Engine test cluster is not up"
remove_node2_namespaces
log "down"
exit 0
