#!/usr/bin/env bash
# The mounts the trixie tree (scripts/trixie/trixie-tree.sh) needs to run its
# programs chrooted -- `criu check`, and later munge and Slurm 24.11 (issue
# 12) -- made in a private, persistent mount namespace of their own, so that
# the host's mount table only ever gains the namespace's file:
#
#   bash scripts/trixie/trixie-mounts.sh up        create the namespace (prints "created", or "present")
#   bash scripts/trixie/trixie-mounts.sh run CMD   run CMD chrooted in the tree, in that namespace
#   bash scripts/trixie/trixie-mounts.sh down      remove it (refused while a process lives in it)
#   bash scripts/trixie/trixie-mounts.sh status    exit 0 when it is up
#
# In the namespace: the tree bound onto itself (criu wants the chroot's root
# to be a mount point: "mnt: No parent found for mountpoint"), proc, sysfs, a
# fresh tmpfs on /run (no stale sockets or pid files) and a devpts of its own
# with its ptmx ("Can't open /dev/ptmx: No such device" otherwise).
# The namespace is kept alive by a bind mount of its nsfs file at
# TREE.ns/mnt; `down` unmounts it, and every mount inside goes with it.
# The tree is $CRYO_TRIXIE, else target/trixie of the repository.  Needs root.
set -euo pipefail
REPO=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd -P)
TREE=$(readlink -f "${CRYO_TRIXIE:-$REPO/target/trixie}")
NSD=$TREE.ns
NSFILE=$NSD/mnt

say() { echo "trixie-mounts: $*" >&2; }
die() { say "$*"; exit 1; }
usage() { sed -n '7,10p' "$0" | sed 's/^# \{0,1\}//' >&2; exit "${1:-1}"; }

is_mountpoint() { awk -v p="$1" '$5 == p { found = 1 } END { exit !found }' /proc/self/mountinfo; }
ns_is_up() { is_mountpoint "$NSFILE"; }

# the PIDs of the live processes (zombies do not count: PID 1 reaps late here)
# whose mount namespace is ours
processes_inside() {
    local ino p state
    ino=$(stat -L -c %i "$NSFILE")
    for p in /proc/[0-9]*; do
        [[ $(stat -L -c %i "$p/ns/mnt" 2>/dev/null) == "$ino" ]] || continue
        state=$(awk '{ print $3 }' "$p/stat" 2>/dev/null) || continue
        [[ $state == Z ]] || echo "${p#/proc/}"
    done
}

# undo whatever of the namespace exists (also after a failed `up`)
remove_ns() {
    is_mountpoint "$NSFILE" && umount "$NSFILE"
    is_mountpoint "$NSD" && umount "$NSD"
    rm -f "$NSFILE"
    [[ -d $NSD ]] && rmdir "$NSD"
    return 0
}

ns_up() {
    [[ -x $TREE/usr/sbin/criu ]] || die "no trixie tree at $TREE: run 'bash scripts/trixie/trixie-tree.sh' first"
    if ns_is_up; then
        echo present
        return 0
    fi
    # unshare --mount=FILE needs FILE on a private mount: the directory is
    # bound onto itself and made private (as unshare(1) describes)
    mkdir -p "$NSD"
    is_mountpoint "$NSD" || mount --bind "$NSD" "$NSD"
    mount --make-private "$NSD"
    touch "$NSFILE"
    if ! unshare --mount="$NSFILE" --propagation private /bin/sh -ec '
            T=$1
            mount --bind "$T" "$T"
            mount -t proc proc "$T/proc"
            mount -t sysfs sysfs "$T/sys"
            mount -t tmpfs -o mode=0755,size=64m tmpfs "$T/run"
            mount -t devpts -o newinstance,ptmxmode=0666,mode=0620,gid=5 devpts "$T/dev/pts"
            mount --bind "$T/dev/pts/ptmx" "$T/dev/ptmx"' sh "$TREE"; then
        remove_ns
        die "could not mount the tree's file systems in a new mount namespace"
    fi
    echo created
}

ns_down() {
    ns_is_up || { remove_ns; return 0; }
    local left
    left=$(processes_inside | tr '\n' ' ')
    [[ -z ${left// /} ]] || die "processes still run in the tree's namespace: $left(stop them first)"
    remove_ns
}

ns_run() {
    ns_is_up || die "the tree's namespace is not up: run '$0 up' first"
    # nsenter does not fork for a mount namespace and chroot execs, so $! of a
    # caller that backgrounds this is the program's own PID
    exec nsenter --mount="$NSFILE" chroot "$TREE" "$@"
}

((EUID == 0)) || die "needs root"
case ${1:-} in
    up) ns_up ;;
    down) ns_down ;;
    run) shift; (($#)) || usage; ns_run "$@" ;;
    status) ns_is_up ;;
    -h|--help) usage 0 ;;
    *) usage ;;
esac
