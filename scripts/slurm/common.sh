# Shared by slurm-up.sh and slurm-down.sh (sourced, not run): names, paths and helpers.
# The test cluster: node "$HEAD_NODE" is this host; node "$NODE2" is a second slurmd in its
# own network namespace (veth link $NET_PREFIX.0/24, machine-local) and UTS namespace.
SCHED_DIR=${SCHED_DIR:-/tmp/cryo-slurm}
REST_PORT=${SLURM_REST_PORT:-6820}
REST_USER=${SLURM_REST_USER:-slurmrest}
NODE2=${CRYO_SLURM_NODE2:-node2}
NET_PREFIX=${CRYO_SLURM_NET:-10.77.0}
HOST_ADDR=$NET_PREFIX.1
NODE2_ADDR=$NET_PREFIX.2
NETNS=cryo-$NODE2                      # ip netns name: /run/netns/$NETNS
UTS_FILE=/run/cryo/uts-$NODE2          # bind mount that keeps node2's UTS namespace alive
VETH_HOST=cryo-h0
VETH_NODE=cryo-n0
CONF=/etc/slurm/slurm.conf
PLUGSTACK=/etc/slurm/plugstack-cryo.conf   # cryo_spank.so's line (slurm-up.sh)
STATE=/var/lib/slurm/slurmctld
JWT_KEY=$STATE/jwt_hs256.key
HEAD_NODE=$(hostname -s)

log() { echo "[$(basename "$0" .sh)] $*"; }

# true if the pid in file $1 is a live (non-zombie) process named $2.  PID 1 here reaps late,
# so kill -0 would call a zombie alive.
alive() {
    local pid
    pid=$(cat "$1" 2>/dev/null) || return 1
    [[ -n $pid && -r /proc/$pid/stat ]] || return 1
    [[ $(cat "/proc/$pid/comm" 2>/dev/null) == "$2" ]] || return 1
    [[ $(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) != Z ]]
}

# wait_for SECONDS CMD...: poll CMD every 0.2 s
wait_for() {
    local tries=$(( $1 * 5 )); shift
    for (( i = 0; i < tries; i++ )); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
    return 1
}

source "$(dirname "${BASH_SOURCE[0]}")/../lib/daemon-fds.sh"

# Run a command inside node2's network and UTS namespaces.
on_node2() { nsenter --net=/run/netns/"$NETNS" --uts="$UTS_FILE" -- "$@"; }
