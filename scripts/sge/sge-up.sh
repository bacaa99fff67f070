#!/usr/bin/env bash
# sge-up.sh - start a real two-host Son of Grid Engine 8.1.9 test cluster on this machine,
# without systemd (Debian 12 packages): sge_qmaster and an sge_execd for host "$(hostname -s)"
# (this host), a second sge_execd for host "sgenode2" in its own network namespace (veth
# 10.78.0.1 <-> 10.78.0.2, machine-local), UTS namespace (host name sgenode2) and mount namespace
# (its own /etc/hosts).  Both are admin, submit and execution hosts in @allhosts; queue all.q
# runs on both; checkpointing environments ckpt_app (application-level, hooks log their calls)
# and ckpt_user (userdefined, signal USR1); PE smp.  Job spool and files: the local file system,
# which both hosts share.  Writes $CRYO_SGE_DIR/sge.env (default /tmp/cryo-sge/sge.env).
# Idempotent: what runs and what is configured is left alone; installs the packages only when
# missing.  Must run as root.  Written from ../shared/reference/schedulers.md, Part 2.
#
# Knobs: CRYO_SGE_DIR, CRYO_SGE_NODE2 (sgenode2), CRYO_SGE_NET (10.78.0),
#        SGE_MIN_CPU_INTERVAL (00:05:00: period of the queue's periodic 'm' checkpoints),
#        SGE_RERUN (TRUE: the queue's default for jobs submitted without -r),
#        CRYO_APT_UPDATED (set: skip apt-get update).
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")"
source ./common.sh
source ../install-build-deps.sh
SCRIPTS=$PWD
cd /   # the daemons' working directory
export DEBIAN_FRONTEND=noninteractive
MIN_CPU_INTERVAL=${SGE_MIN_CPU_INTERVAL:-00:05:00}
RERUN=${SGE_RERUN:-TRUE}
CKPT_DIR=$SGE_DIR/ckpt
HOOK=$CKPT_DIR/hook.sh
HOOK_LOG=$CKPT_DIR/hooks.log
LOAD_DIR=$SGE_DIR/load
LOAD_SENSOR=$LOAD_DIR/sensor.sh
CFG=$(mktemp -d)
trap 'rm -rf "$CFG"' EXIT

# root_dir DIR MODE: DIR is a directory of root's with MODE.  $SGE_DIR sits at a fixed path in
# /tmp and holds what root runs (the hook) and sources (the env file): a directory or link
# someone else put there first is refused, not used.
root_dir() {
    if [[ -L $1 || ( -e $1 && ( ! -d $1 || $(stat -c %u "$1") != 0 ) ) ]]; then
        echo "sge-up: $1 exists and is not root's directory; remove it" >&2; exit 1
    fi
    install -d -o root -g root -m "$2" "$1"
}
root_dir "$SGE_DIR" 0755

# ---------------------------------------------------------------------------- packages
# (not named install_packages: that is install-build-deps.sh's, which the function below calls)
install_sge_packages() {
    local packages=(gridengine-master gridengine-exec gridengine-client gridengine-drmaa1.0
                    gridengine-drmaa-dev libdrmaa1.0-java iproute2 util-linux)
    [[ -n $(missing_packages "${packages[@]}") ]] || return 0
    # gridengine-common asks for the cell and the master host; gridengine-master's postinst then
    # runs init_cluster (BerkeleyDB spool, managers root and sgeadmin, this host as admin host).
    debconf-set-selections <<EOF
gridengine-common shared/gridengineconfig boolean true
gridengine-common shared/gridenginecell string $SGE_CELL
gridengine-common shared/gridenginemaster string $HEAD_HOST
EOF
    # never slurm-wlm-torque: it conflicts with gridengine-client (both ship qsub & co.)
    install_packages_without_starting_daemons "${packages[@]}"
}

# ------------------------------------------------------------------------- host names
# Grid Engine resolves every host name and compares it with what a peer says it is.  Seen from
# here, node2's address must be node2; the head host's name resolves here to 127.0.0.1.
ensure_hosts() {
    getent hosts "$HEAD_HOST" >/dev/null || echo "127.0.0.1 $HEAD_HOST" >> /etc/hosts
    grep -qE "^$NODE2_ADDR[[:space:]]+$NODE2\$" /etc/hosts || echo "$NODE2_ADDR $NODE2" >> /etc/hosts
}

# node2's /etc/hosts: there the head host (act_qmaster) must be the veth address, since
# 127.0.0.1 is node2's own loopback; node2 itself is its veth address, so that the name it
# reports and the address qmaster sees agree.  Rewritten in place: the bind mount holds the inode.
write_node2_hosts() {
    local want
    want=$(printf '127.0.0.1 localhost\n%s %s\n%s %s\n' "$HOST_ADDR" "$HEAD_HOST" "$NODE2_ADDR" "$NODE2")
    [[ $(cat "$NODE2_HOSTS" 2>/dev/null) == "$want" ]] || echo "$want" > "$NODE2_HOSTS"
}

# node2: a network namespace joined to this host by a veth pair, a UTS namespace (host name
# node2) and a mount namespace where node2's hosts file is bind-mounted on /etc/hosts.  Each is
# kept alive by a bind mount of its nsfs file, so every process started there is on "node2".
# Why a mount namespace: /etc/hosts is shared by everyone on this machine, and in it the head
# host is 127.0.0.1, which inside node2's network namespace is node2 itself; node2's execd
# would then look for qmaster on its own loopback.  host_aliases cannot help (it maps names to
# names, not to addresses).  The mount namespace is a copy of this host's mounts taken now:
# this host's / is private, so mounts made here later do not show up on node2.
create_node2_namespaces() {
    # a private mount point for the nsfs bind mounts: a mount namespace's file may not be
    # bind-mounted where the bind would propagate into that namespace itself
    mkdir -p "$NS_DIR"
    if ! mountpoint -q "$NS_DIR"; then mount --bind "$NS_DIR" "$NS_DIR"; mount --make-private "$NS_DIR"; fi
    [[ -e /run/netns/$NETNS ]] || ip netns add "$NETNS"
    if ! ip link show "$VETH_HOST" >/dev/null 2>&1; then
        ip link add "$VETH_HOST" type veth peer name "$VETH_NODE"
        ip link set "$VETH_NODE" netns "$NETNS"
    fi
    # (the listing is captured, not piped: under pipefail "ip ... | grep -q" fails when grep exits first)
    [[ $(ip -4 -o addr show dev "$VETH_HOST") == *"inet $HOST_ADDR/"* ]] || ip addr add "$HOST_ADDR/24" dev "$VETH_HOST"
    ip link set "$VETH_HOST" up
    ip netns exec "$NETNS" sh -c "
        ip -4 -o addr show dev $VETH_NODE | grep 'inet $NODE2_ADDR/' >/dev/null || ip addr add $NODE2_ADDR/24 dev $VETH_NODE
        ip link set $VETH_NODE up; ip link set lo up"
    if ! mountpoint -q "$UTS_FILE"; then
        touch "$UTS_FILE"
        unshare --uts="$UTS_FILE" hostname "$NODE2"
    fi
    write_node2_hosts
    if ! mountpoint -q "$MNT_FILE"; then
        touch "$MNT_FILE"
        # inside, also drop the copies of other namespaces' bind mounts (the Slurm cluster's
        # node2, ours): node2 needs none, and a copy would keep that namespace alive
        unshare --mount="$MNT_FILE" --propagation slave sh -c '
            mount --bind "$1" /etc/hosts
            findmnt -rn -t nsfs -o TARGET | sort -r | while read -r m; do umount "$m"; done' sh "$NODE2_HOSTS"
    fi
    [[ $(on_node2 hostname) == "$NODE2" ]] || { echo "sge-up: $NODE2's UTS namespace says '$(on_node2 hostname)'" >&2; exit 1; }
}

# ------------------------------------------------------------------------ cell, names
init_cell() {
    if [[ ! -e $SPOOL/spooldb/sge || ! -s $COMMON/bootstrap ]]; then
        log "initialising cell $SGE_CELL"
        su -s /bin/sh -c "/usr/share/gridengine/scripts/init_cluster $SGE_ROOT $SGE_CELL $SPOOL/spooldb sgeadmin" sgeadmin
    fi
    local sge_name
    sge_name=$(/usr/lib/gridengine/gethostname -name)   # the name SGE resolves for this host
    [[ $sge_name == "$HEAD_HOST" ]] || { echo "sge-up: Grid Engine calls this host '$sge_name', not '$HEAD_HOST'" >&2; exit 1; }
    write_common act_qmaster "$HEAD_HOST"
    # This host's address (127.0.0.1) reverse-resolves to "localhost", so without an alias
    # qmaster rejects every local client: "local host name error (IP based host name resolving
    # "localhost" doesn't match client host name from connect message "vm")".  host_aliases
    # makes "localhost" another name of this host (the first name on the line is the real one).
    # On node2 localhost is never used to reach anything of SGE's.
    local ip rev aliases=""
    ip=$(getent ahostsv4 "$HEAD_HOST" | awk 'NR == 1 {print $1}')
    rev=$(/usr/lib/gridengine/gethostbyaddr -name "$ip" 2>/dev/null || true)
    [[ -z $rev || $rev == "$HEAD_HOST" ]] || aliases="$HEAD_HOST $rev"
    write_common host_aliases "$aliases"
}

# write_common FILE CONTENT: the cell's common/FILE (owned by sgeadmin); empty CONTENT removes it
write_common() {
    local file=$COMMON/$1
    [[ $(cat "$file" 2>/dev/null) != "$2" ]] || return 0
    log "$1: '$2'"
    if [[ -z $2 ]]; then rm -f "$file"; return 0; fi
    echo "$2" > "$file"; chown sgeadmin:sgeadmin "$file"
}

# -------------------------------------------------------------------------- sge_qmaster
start_qmaster() {
    install -d -o sgeadmin -g sgeadmin -m 0755 "$RUN_DIR"
    if ! alive "$QMASTER_PID" sge_qmaster; then
        log "starting sge_qmaster"
        "${CLEAN_ENV[@]}" /usr/sbin/sge_qmaster
    fi
    wait_for 30 qconf -sh || { echo "sge-up: qmaster not answering: $(tail -n1 "$SPOOL/qmaster/messages" 2>/dev/null)" >&2; exit 1; }
}

# ------------------------------------------------------------------------ configuration
# qconf_change ARGS...: a qconf that changes something; its chatter ("root@vm added ...") is
# dropped, its failure stops sge-up with qconf's message
qconf_change() {
    local out
    out=$(qconf "$@" 2>&1) || { echo "sge-up: qconf $1 $2: ${out//$'\n'/ }" >&2; exit 1; }
}

# qconf's listing, one attribute a line: continuation lines joined, blanks squeezed
normalized() { sed -e ':a' -e '/\\$/{N;s/\\\n//;ba}' | tr -s ' \t' ' ' | sed 's/ $//'; }

# apply OBJ NAME FILE: add Grid Engine object NAME of kind OBJ (q, ckpt, hgrp, p) from FILE,
# or modify it when what qmaster holds differs; left alone when equal
apply() {
    local obj=$1 name=$2 file=$3
    if ! qconf -s"$obj" "$name" >/dev/null 2>&1; then
        log "adding $name"; qconf_change -A"$obj" "$file"
    elif ! diff -q <(qconf -s"$obj" "$name" | normalized) <(normalized < "$file") >/dev/null; then
        log "modifying $name"; qconf_change -M"$obj" "$file"
    fi
}

# global configuration: root may run jobs (min_uid/min_gid default to 1000); the execds report
# every 5 s instead of 40 s (a job rescheduled to the same host waits for that host's reports
# that its old run is cleaned up: 12-14 s here with 00:00:05, ~20 s with 00:00:10); no login
# shells (see all.q below); the tests' load sensor (see write_load_sensor)
configure_global() {
    # continuation lines joined first: a long value (a load_sensor list) is shown over several lines,
    # and replacing only its first one would leave the rest as an attribute of its own
    qconf -sconf global | sed -e ':a' -e '/\\$/{N;s/\\\n[[:space:]]*//;ba}' \
        | sed -e 's/^min_uid .*/min_uid 0/' -e 's/^min_gid .*/min_gid 0/' \
        -e 's/^load_report_time .*/load_report_time 00:00:05/' -e 's/^login_shells .*/login_shells none/' \
        -e "s|^load_sensor .*|load_sensor $LOAD_SENSOR|" > "$CFG/global"
    if ! diff -q <(qconf -sconf global | normalized) <(normalized < "$CFG/global") >/dev/null; then
        log "modifying the global configuration"; qconf_change -Mconf "$CFG/global"
    fi
    # scheduler: a pass every second instead of every 15 s, no load adjustments (two hosts on
    # one machine share its load)
    qconf -ssconf | sed -e 's/^schedule_interval .*/schedule_interval 0:0:1/' \
        -e 's/^flush_submit_sec .*/flush_submit_sec 1/' -e 's/^flush_finish_sec .*/flush_finish_sec 1/' \
        -e 's/^job_load_adjustments .*/job_load_adjustments NONE/' \
        -e 's/^load_adjustment_decay_time .*/load_adjustment_decay_time 0:0:0/' > "$CFG/sched"
    if ! diff -q <(qconf -ssconf | normalized) <(normalized < "$CFG/sched") >/dev/null; then
        log "modifying the scheduler configuration"; qconf_change -Msconf "$CFG/sched"
    fi
}

# both hosts: admin (qconf from jobs), submit (qsub from jobs), execution hosts
configure_hosts() {
    local host
    for host in "$HEAD_HOST" "$NODE2"; do
        grep -x "$host" <<< "$(qconf -sh 2>/dev/null)" >/dev/null || { log "admin host $host"; qconf_change -ah "$host"; }
        grep -x "$host" <<< "$(qconf -ss 2>/dev/null)" >/dev/null || { log "submit host $host"; qconf_change -as "$host"; }
        if ! qconf -se "$host" >/dev/null 2>&1; then
            log "execution host $host"
            printf 'hostname %s\nload_scaling NONE\ncomplex_values NONE\nuser_lists NONE\nxuser_lists NONE\nprojects NONE\nxprojects NONE\nusage_scaling NONE\nreport_variables NONE\n' \
                "$host" > "$CFG/exechost"
            qconf_change -Ae "$CFG/exechost"
        fi
    done
    printf 'group_name @allhosts\nhostlist %s %s\n' "$HEAD_HOST" "$NODE2" > "$CFG/allhosts"
    apply hgrp @allhosts "$CFG/allhosts"
    printf 'pe_name smp\nslots 999\nuser_lists NONE\nxuser_lists NONE\nstart_proc_args NONE\nstop_proc_args NONE\nallocation_rule $pe_slots\ncontrol_slaves FALSE\njob_is_first_task TRUE\nurgency_slots min\naccounting_summary FALSE\nqsort_args NONE\n' > "$CFG/smp"
    apply p smp "$CFG/smp"
    # a parallel environment whose jobs' processes may start tasks on their hosts (qrsh -inherit):
    # Cryo's node.exec = scheduler reaches such a job's host that way (SgeQrshInheritTest)
    printf 'pe_name cryo_tasks\nslots 999\nuser_lists NONE\nxuser_lists NONE\nstart_proc_args NONE\nstop_proc_args NONE\nallocation_rule $pe_slots\ncontrol_slaves TRUE\njob_is_first_task FALSE\nurgency_slots min\naccounting_summary FALSE\nqsort_args NONE\n' > "$CFG/cryo_tasks"
    apply p cryo_tasks "$CFG/cryo_tasks"
}

# A load value the tests drive: each execd's load sensor reports cryo_alarm (an INT complex,
# relop >=) for its host from $LOAD_DIR/HOST (0 when absent), so that a queue's
# suspend_thresholds cryo_alarm=1 suspends it when a test writes 1 there.  Needs the complex
# before the sensor reports it.
write_load_sensor() {
    root_dir "$LOAD_DIR" 0755
    cat > "$CFG/sensor.sh" <<SENSOR
#!/bin/bash
# Grid Engine load sensor (written by scripts/sge/sge-up.sh): HOST:cryo_alarm:VALUE from $LOAD_DIR/HOST
host=\$(hostname)
while read -r line; do
    [[ \$line == quit ]] && exit 0
    value=\$(cat "$LOAD_DIR/\$host" 2>/dev/null)
    echo begin; echo "\$host:cryo_alarm:\${value:-0}"; echo end
done
SENSOR
    cmp -s "$CFG/sensor.sh" "$LOAD_SENSOR" || install -m 0755 "$CFG/sensor.sh" "$LOAD_SENSOR"
    if ! qconf -sc | awk '$1 == "cryo_alarm" {found = 1} END {exit !found}'; then
        log "complex cryo_alarm"
        { qconf -sc; echo "cryo_alarm cryo_alarm INT >= NO NO 0 0"; } > "$CFG/complex"
        qconf_change -Mc "$CFG/complex"
    fi
}

# The hook behind every checkpoint command: logs each call (host, argv, the job's checkpoint
# variables) to $HOOK_LOG.  'migr' also TERMs the job's process group: Grid Engine neither
# stops nor kills an application-level job it migrates, it waits for the job to leave; then
# the job is rescheduled and its script runs again with RESTARTED=2.
write_hook() {
    # the hooks run as the job's owner: they write checkpoints under dir/ (sticky, anyone's)
    # and append to hooks.log, which sits in root's directory so that no one can replace it
    root_dir "$CKPT_DIR" 0755
    root_dir "$CKPT_DIR/dir" 1777
    cat > "$CFG/hook.sh" <<'EOF'
#!/bin/bash
# hook.sh KIND job_id job_pid ckpt_dir host job_owner job_name queue ja_task_id ckpt_signal
# (written by scripts/sge/sge-up.sh)
kind=$1; shift
{
    echo "=== $(date +%FT%T.%3N) $kind on $(hostname) argv: $*"
    env | sort | grep -E '^(JOB_ID|JOB_NAME|RESTARTED|SGE_CKPT_ENV|SGE_CKPT_DIR|SGE_TASK_ID|QUEUE|USER)=' | sed 's/^/  /'
} >> "$(dirname "$0")/hooks.log" 2>&1
if [[ $kind == migr && -n ${2:-} ]]; then kill -TERM -- "-$2" 2>/dev/null || kill -TERM "$2" 2>/dev/null || true; fi
exit 0
EOF
    cmp -s "$CFG/hook.sh" "$HOOK" || install -m 0755 "$CFG/hook.sh" "$HOOK"
    [[ -f $HOOK_LOG && ! -L $HOOK_LOG ]] || install -m 0666 /dev/null "$HOOK_LOG"
}

# application-level: the only interface whose commands Grid Engine calls (ckpt_command every
# min_cpu_interval, migr_command at qmod -sj / queue suspend, clean_command at the end; never
# restart_command).  userdefined: none of the commands is called, only 'signal' is sent at
# each periodic checkpoint.  The hooks' arguments must not use $sge_root/$sge_cell: with
# them the shepherd dies ("can't get configuration value for sge_root") and the queue errs.
configure_ckpt_envs() {
    local args='$job_id $job_pid $ckpt_dir $host $job_owner $job_name $queue $ja_task_id $ckpt_signal'
    local spec name iface signal
    for spec in ckpt_app:application-level:none ckpt_user:userdefined:USR1; do
        IFS=: read -r name iface signal <<< "$spec"
        cat > "$CFG/$name" <<EOF
ckpt_name $name
interface $iface
ckpt_command $HOOK ckpt $args
migr_command $HOOK migr $args
restart_command $HOOK restart $args
clean_command $HOOK clean $args
ckpt_dir $CKPT_DIR/dir
signal $signal
when xsmr
EOF
        apply ckpt "$name" "$CFG/$name"
    done
}

# all.q on both hosts.  shell_start_mode unix_behavior (with login_shells none): job scripts
# run with their #! interpreter, not as a login shell; a login shell sources root's ~/.profile
# and ~/.bashrc, which on this kind of machine ran "pyenv init" and held every job ~60 s on a
# stale pyenv lock.  load_thresholds NONE: the shared machine's load would alarm the queue.
configure_queue() {
    cat > "$CFG/all.q" <<EOF
qname all.q
hostlist @allhosts
seq_no 0
load_thresholds NONE
suspend_thresholds NONE
nsuspend 1
suspend_interval 00:05:00
priority 0
min_cpu_interval $MIN_CPU_INTERVAL
processors UNDEFINED
qtype BATCH INTERACTIVE
ckpt_list ckpt_app ckpt_user
pe_list smp cryo_tasks
rerun $RERUN
slots $(nproc)
tmpdir /tmp
shell /bin/bash
prolog NONE
epilog NONE
shell_start_mode unix_behavior
starter_method NONE
suspend_method NONE
resume_method NONE
terminate_method NONE
notify 00:00:60
owner_list NONE
user_lists NONE
xuser_lists NONE
subordinate_list NONE
complex_values NONE
projects NONE
xprojects NONE
calendar NONE
initial_state default
s_rt INFINITY
h_rt INFINITY
s_cpu INFINITY
h_cpu INFINITY
s_fsize INFINITY
h_fsize INFINITY
s_data INFINITY
h_data INFINITY
s_stack INFINITY
h_stack INFINITY
s_core INFINITY
h_core INFINITY
s_rss INFINITY
h_rss INFINITY
s_vmem INFINITY
h_vmem INFINITY
EOF
    apply q all.q "$CFG/all.q"
}

# ---------------------------------------------------------------------------- sge_execd
# Per host the execd keeps the jobs it runs under $SPOOL/execd/<host>/{jobs,active_jobs}.  An
# execd that died with jobs leaves them there; a new execd then reports them as running, qmaster
# answers "reports running job ... that was not supposed to be there - killing" and the kill
# can hit an unrelated new job.  So the state goes when no shepherd of that host is alive.  (A
# live shepherd means a job still runs: the new execd re-adopts it, which works.)
drop_stale_execd_state() {
    local host=$1 spool
    [[ -z $(pids_on_host "$host" sge_shepherd) ]] || { log "$host: shepherds alive, the new execd re-adopts their jobs"; return 0; }
    for spool in "$SPOOL/execd/$host" "$SPOOL/execd/localhost"; do
        [[ $host == "$NODE2" && $spool == */localhost ]] && continue   # localhost is the head host's alias
        if [[ -n $(find "$spool/active_jobs" -mindepth 1 -print -quit 2>/dev/null) ||
              -n $(find "$spool/jobs" -type f -print -quit 2>/dev/null) ]]; then
            log "$host: dropping stale job state in $spool"
            rm -rf "${spool:?}"/active_jobs/* "${spool:?}"/jobs/*
        fi
    done
}

start_execd() {
    local host=$1 pidfile
    pidfile=$(execd_pidfile "$host")
    alive "$pidfile" sge_execd && return 0
    drop_stale_execd_state "$host"
    log "starting sge_execd on $host"
    on_host "$host" "${CLEAN_ENV[@]}" SGE_EXECD_PIDFILE="$pidfile" /usr/sbin/sge_execd
}

# state flags of queue instance all.q@HOST ("" when usable, "-" when unknown to qstat)
queue_states() {
    qstat -f -q "all.q@$1" 2>/dev/null | awk -v q="all.q@$1" '$1 == q {print $6; found = 1} END {if (!found) print "-"}'
}
queue_usable() { [[ -z $(queue_states "$1") ]]; }

# An instance can come up disabled or in error from an earlier run (a test's qmod -d, a failed
# hook): then it is cleared and enabled; 'a'/'u' only mean the first load report is still due.
wait_queue_usable() {
    local host=$1
    wait_for 60 queue_usable "$host" && return 0
    qmod -cq "all.q@$host" >/dev/null 2>&1 || true
    qmod -e "all.q@$host" >/dev/null 2>&1 || true
    qmod -us "all.q@$host" >/dev/null 2>&1 || true
    wait_for 30 queue_usable "$host" || { echo "sge-up: all.q@$host not usable (states '$(queue_states "$host")')" >&2; exit 1; }
}

write_env() {
    root_dir "$SGE_DIR/jobs" 1777   # the tests' job files (sticky: anyone's)
    cat > "$CFG/sge.env" <<EOF
export SGE_ROOT=$SGE_ROOT
export SGE_CELL=$SGE_CELL
export CRYO_SGE_HOSTS="$HEAD_HOST $NODE2"
export CRYO_SGE_HEAD_HOST=$HEAD_HOST
export CRYO_SGE_NODE2=$NODE2
export CRYO_SGE_NODE2_EXEC="nsenter --net=/run/netns/$NETNS --uts=$UTS_FILE --mount=$MNT_FILE --wd=. --"
export CRYO_SGE_NODE_EXEC="$SCRIPTS/on-host.sh %n"
export CRYO_SGE_QUEUE=all.q
export CRYO_SGE_CKPT_APP=ckpt_app
export CRYO_SGE_CKPT_USER=ckpt_user
export CRYO_SGE_HOOK_LOG=$HOOK_LOG
export CRYO_SGE_JOBS_DIR=$SGE_DIR/jobs
export CRYO_SGE_LOAD_DIR=$LOAD_DIR
export DRMAA_JAR=/usr/share/java/drmaa.jar
export DRMAA_LIBRARY_PATH=/usr/lib/gridengine-drmaa/lib
# libdrmaa.so pulls in libjemalloc (initial-exec TLS): without this a JVM fails in
# System.loadLibrary("drmaa") with "libjemalloc.so.2: cannot allocate memory in static TLS block"
export GLIBC_TUNABLES=glibc.rtld.optional_static_tls=4096
EOF
    cmp -s "$CFG/sge.env" "$ENV_FILE" || install -m 0644 "$CFG/sge.env" "$ENV_FILE"
}

install_sge_packages
ensure_hosts
create_node2_namespaces
init_cell
start_qmaster
write_load_sensor
configure_global
configure_hosts
write_hook
configure_ckpt_envs
configure_queue
start_execd "$HEAD_HOST"
start_execd "$NODE2"
wait_queue_usable "$HEAD_HOST"
wait_queue_usable "$NODE2"
write_env
log "up: $(qstat -f | awk '$1 ~ /^all\.q@/ {printf "%s %s %s; ", $1, $2, $3}')env=$ENV_FILE"
