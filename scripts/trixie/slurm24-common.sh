# Shared by slurm24-up.sh, slurm24-down.sh, slurm24-run.sh and on-node24.sh (sourced, not
# run): names, paths and helpers of the Slurm 24.11 test cluster that runs from the Debian 13
# tree (trixie-tree.sh) beside the host's Slurm 22.05 cluster (scripts/slurm/).
#
# The cluster's root is an overlay: the tree is its read-only lower layer, so the tree itself is
# never changed (others use it: the benchmark's criu), and everything the cluster writes
# (slurm.conf, its munge key, state, logs, users) goes to $SCHED24_DIR/upper.  The overlay and
# every other mount of the cluster live in a private mount namespace kept alive by its nsfs file
# $RUN24_DIR/mnt, so the host's mount table only gains that file and node2's UTS file.  The
# overlay is that namespace's root (pivot_root, the host's root below it at /.host), not a
# chroot: a chrooted process may not create a user namespace, and Cryo's unprivileged restart
# needs one.
# slurmctld runs in this host's namespaces.  Node "$NODE1_24" is a slurmd in this host's network
# namespace (the host end of the veth, $NET24_PREFIX.1) with a UTS namespace of its own; node
# "$NODE24" is a second slurmd in its own network namespace (veth $NET24_PREFIX.0/24) and UTS
# namespace, as 22.05's node2.  Neither is named after this host: to Cryo (NodeExecutor) a node
# with this host's name is "local", and a command for it would run in the host's root rather
# than the cluster's; so every node command goes through CRYO_NODE_EXEC (on-node24.sh).  Ports: slurmctld 6917, slurmd 6918, slurmrestd 6920 (22.05: 6817, 6818, 6820).
TRIXIE_SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
REPO=$(cd "$TRIXIE_SCRIPTS/../.." && pwd -P)
SCHED24_DIR=${CRYO_SLURM24_DIR:-/tmp/cryo-slurm24}
RUN24_DIR=/run/cryo24
NSFILE=$RUN24_DIR/mnt                  # the cluster's mount namespace
ROOT24=$SCHED24_DIR/root               # the overlay, mounted only inside that namespace
UPPER24=$SCHED24_DIR/upper
WORK24=$SCHED24_DIR/work
JOBS24=$SCHED24_DIR/jobs               # shared storage: the same path on the host and in the root
ENV24=$SCHED24_DIR/slurm.env
LEFTOVERS24=$SCHED24_DIR/leftovers.txt   # what slurm24-down.sh had to end (check-no-leftovers.sh reads it)
CTLD24_PORT=${CRYO_SLURM24_CTLD_PORT:-6917}
SLURMD24_PORT=${CRYO_SLURM24_SLURMD_PORT:-6918}
REST24_PORT=${CRYO_SLURM24_REST_PORT:-6920}
REST24_USER=slurmrest
HEAD24_NODE=$(hostname -s)             # slurmctld's host
NODE1_24=${CRYO_SLURM24_NODE1:-tnode1}
NODE24=${CRYO_SLURM24_NODE2:-tnode2}
NET24_PREFIX=${CRYO_SLURM24_NET:-10.79.0}
HOST24_ADDR=$NET24_PREFIX.1
NODE24_ADDR=$NET24_PREFIX.2
NETNS24=cryo24-$NODE24                 # ip netns name: /run/netns/$NETNS24
UTS24_FILE=$RUN24_DIR/uts-$NODE24      # bind mount that keeps node2's UTS namespace alive
UTS1_24_FILE=$RUN24_DIR/uts-$NODE1_24  # and node1's
VETH24_HOST=cryo24-h0
VETH24_NODE=cryo24-n0
# Inside the root: the file that tells on-node24.sh and slurm24-run.sh they are there already.
ROOT_MARKER=/etc/cryo-slurm24.env
CLEAN_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

log() { echo "[$(basename "$0" .sh)] $*"; }
die() { echo "$(basename "$0" .sh): $*" >&2; exit 1; }

is_mountpoint() { awk -v p="$1" '$5 == p { found = 1 } END { exit !found }' /proc/self/mountinfo; }
ns_is_up() { is_mountpoint "$NSFILE"; }

# wait_for SECONDS CMD...: poll CMD every 0.2 s
wait_for() {
    local tries=$(( $1 * 5 )) i; shift
    for (( i = 0; i < tries; i++ )); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
    return 1
}

# A live process: PID 1 reaps late here, so a zombie counts as gone.
live() { [[ -r /proc/$1/stat ]] && [[ $(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) != Z ]]; }

# The live processes whose mount namespace is the cluster's.
processes_in_ns() {
    local ino p
    ns_is_up || return 0
    ino=$(stat -L -c %i "$NSFILE")
    for p in /proc/[0-9]*; do
        [[ $(stat -L -c %i "$p/ns/mnt" 2>/dev/null) == "$ino" ]] || continue
        live "${p#/proc/}" && echo "${p#/proc/}"
    done
    return 0
}

source "$(dirname "${BASH_SOURCE[0]}")/../lib/daemon-fds.sh"

# in_root CMD...: CMD in the cluster's root (nsenter --mount puts it at the namespace's root, the
# overlay), in this host's network and UTS namespaces, from a clean environment and without the
# caller's descriptors (pitfall: a program entering the tree inherits both, and a host
# SLURM_CONF or SLURM_JWT would reach the tree's clients).
in_root() {
    ( close_inherited_fds
      exec env -i PATH="$CLEAN_PATH" HOME=/root LANG=C.UTF-8 TERM=dumb \
          nsenter --mount="$NSFILE" "$@" )
}

# on_node1_root / on_node2_root CMD...: the same on node1 (its UTS namespace) or node2 (its
# network and UTS namespaces).
on_node1_root() {
    ( close_inherited_fds
      exec env -i PATH="$CLEAN_PATH" HOME=/root LANG=C.UTF-8 TERM=dumb \
          nsenter --mount="$NSFILE" --uts="$UTS1_24_FILE" "$@" )
}

on_node2_root() {
    ( close_inherited_fds
      exec env -i PATH="$CLEAN_PATH" HOME=/root LANG=C.UTF-8 TERM=dumb \
          nsenter --mount="$NSFILE" --net=/run/netns/"$NETNS24" --uts="$UTS24_FILE" "$@" )
}

# The PID in a pid file of the root (its /run is a tmpfs of the namespace), if it names a live
# process named $2 in the cluster's namespace; nothing otherwise.  ps and pgrep cannot tell
# the two clusters' daemons apart (same names): the mount namespace can.
root_daemon_pid() {
    local pid ino
    ns_is_up || return 1
    pid=$(in_root cat "$1" 2>/dev/null) || return 1
    [[ $pid =~ ^[0-9]+$ ]] && live "$pid" || return 1
    [[ $(cat "/proc/$pid/comm" 2>/dev/null) == "$2" ]] || return 1
    ino=$(stat -L -c %i "$NSFILE")
    [[ $(stat -L -c %i "/proc/$pid/ns/mnt" 2>/dev/null) == "$ino" ]] || return 1
    echo "$pid"
}
