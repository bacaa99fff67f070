# Shared by sge-up.sh, sge-down.sh and sge-verify.sh (sourced, not run): names, paths, helpers.
# The test cluster: execution host "$HEAD_HOST" is this host (it also runs sge_qmaster); host
# "$NODE2" is a second sge_execd in its own network namespace (veth link $NET_PREFIX.0/24,
# machine-local), UTS namespace (host name $NODE2) and mount namespace (its own /etc/hosts).
# Every name differs from the Slurm test cluster's (scripts/slurm/common.sh: 10.77.0.0/24,
# cryo-node2, cryo-h0/cryo-n0, /run/cryo), so both clusters can be up at the same time.
SGE_DIR=${CRYO_SGE_DIR:-/tmp/cryo-sge}      # env file, checkpoint hook and its log, verify's files
NODE2=${CRYO_SGE_NODE2:-sgenode2}
NET_PREFIX=${CRYO_SGE_NET:-10.78.0}
HOST_ADDR=$NET_PREFIX.1
NODE2_ADDR=$NET_PREFIX.2
NS_DIR=/run/cryo-sge                        # bind mounts that keep node2's namespaces alive
NETNS=cryo-sge-$NODE2                       # ip netns name: /run/netns/$NETNS
UTS_FILE=$NS_DIR/uts-$NODE2
MNT_FILE=$NS_DIR/mnt-$NODE2
NODE2_HOSTS=$NS_DIR/hosts-$NODE2            # bind-mounted on /etc/hosts inside node2's mount namespace
VETH_HOST=cryo-sge-h0
VETH_NODE=cryo-sge-n0
HEAD_HOST=$(hostname -s)
ENV_FILE=$SGE_DIR/sge.env

# Debian's layout (gridengine-common): cell "default" under /var/lib/gridengine, spool under
# /var/spool/gridengine (BerkeleyDB for qmaster, one directory per host for the execds).
export SGE_ROOT=/var/lib/gridengine SGE_CELL=default
COMMON=$SGE_ROOT/$SGE_CELL/common
SPOOL=/var/spool/gridengine
QMASTER_PID=$SPOOL/qmaster/qmaster.pid      # sge_qmaster ignores SGE_MASTER_PIDFILE and writes this
RUN_DIR=/run/gridengine
execd_pidfile() { echo "$RUN_DIR/execd-$1.pid"; }   # sge_execd honours SGE_EXECD_PIDFILE

# The daemons start with a clean environment: sge_execd passes its own environment on to the
# checkpoint hooks, and a caller's variables there would make the tests depend on who ran sge-up.
CLEAN_ENV=(env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C SGE_ROOT="$SGE_ROOT" SGE_CELL="$SGE_CELL")

log() { echo "[$(basename "$0" .sh)] $*"; }

# true if the pid in file $1 is a live (non-zombie) process named $2.  PID 1 here reaps late,
# so kill -0 would call a zombie alive.
alive() {
    local pid
    pid=$(cat "$1" 2>/dev/null) || return 1
    pid_alive "$pid" "$2"
}

# pid_alive PID [NAME]: a live, non-zombie process (named NAME if given)
pid_alive() {
    [[ -n $1 && -r /proc/$1/stat ]] || return 1
    [[ -z ${2:-} || $(cat "/proc/$1/comm" 2>/dev/null) == "$2" ]] || return 1
    [[ $(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) != Z ]]
}

# wait_for SECONDS CMD...: poll CMD every 0.2 s until it succeeds or SECONDS (wall clock) have
# passed; on a loaded machine one qstat can take seconds, so tries are not counted
wait_for() {
    local end=$(( ${EPOCHSECONDS} + $1 )); shift
    while :; do
        "$@" >/dev/null 2>&1 && return 0
        (( EPOCHSECONDS < end )) || return 1
        sleep 0.2
    done
}

node2_namespaces_exist() { [[ -e /run/netns/$NETNS ]] && mountpoint -q "$UTS_FILE" && mountpoint -q "$MNT_FILE"; }

# Run a command on node2: in its network, UTS and mount namespaces.
on_node2() { nsenter --net=/run/netns/"$NETNS" --uts="$UTS_FILE" --mount="$MNT_FILE" -- "$@"; }

# on_host HOST CMD...: run CMD on execution host HOST of the test cluster
on_host() {
    local host=$1; shift
    if [[ $host == "$NODE2" ]]; then on_node2 "$@"; else "$@"; fi
}

# the UTS namespace (as "uts:[inode]") that processes on HOST live in
host_uts_ns() { on_host "$1" readlink /proc/self/ns/uts; }

# pids of the live processes named NAME (comm) in HOST's UTS namespace, one per line
pids_on_host() {
    local host=$1 name=$2 ns pid
    ns=$(host_uts_ns "$host") || return 0
    for pid in $(ps -C "$name" -o pid= 2>/dev/null); do
        [[ $(readlink "/proc/$pid/ns/uts" 2>/dev/null) == "$ns" ]] && pid_alive "$pid" && echo "$pid"
    done
    return 0
}
