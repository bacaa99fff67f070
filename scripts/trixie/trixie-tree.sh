#!/usr/bin/env bash
# A Debian 13 (trixie) tree under the build directory: CRIU 4.1 for the
# benchmark (scripts/benchmark.sh runs it beside Cryo) and Slurm 24.11 +
# munge for a test cluster of the current Slurm release (issue 12).  The host
# stays Debian 12; nothing in the tree is installed on the host.
#
#   bash scripts/trixie/trixie-tree.sh [--tree DIR] [--check]
#
#   --tree DIR   where the tree goes (default: $CRYO_TRIXIE, else target/trixie
#                of the repository); never committed
#   --check      only tell whether the tree is complete (exit 0) or not (exit 1)
#
# Idempotent: a complete tree has a stamp file naming what was installed; when
# the stamp matches, the script only checks the tree's criu and prints the
# tree's path (well under a second).  A tree is built in DIR.partial and
# renamed into place when complete, so an interrupted build never leaves a
# half tree at DIR (the next run starts the partial one afresh).
# Needs root and the Debian mirror the host's apt uses.  Progress on stderr;
# the tree's path on stdout.
set -euo pipefail
REPO=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd -P)

TREE=${CRYO_TRIXIE:-$REPO/target/trixie}
CHECK_ONLY=0
usage() { sed -n '6,10p' "$0" | sed 's/^# \{0,1\}//' >&2; exit "${1:-1}"; }
while (($#)); do
    case $1 in
        --tree) [[ -n ${2:-} ]] || usage; TREE=$2; shift 2 ;;
        --tree=*) TREE=${1#*=}; shift ;;
        --check) CHECK_ONLY=1; shift ;;
        -h|--help) usage 0 ;;
        *) echo "trixie-tree: unknown argument $1" >&2; usage ;;
    esac
done

say() { echo "trixie-tree: $*" >&2; }
die() { say "$*"; exit 1; }

# What the tree holds.  criu for the benchmark; the Slurm daemons, clients,
# the JWT plugin (auth_jwt.so, not pulled in by the others) and munge for
# issue 12's cluster; libslurm-dev for 24.11's spank.h (the SPANK plugin is
# built against each Slurm version); iproute2, procps and python3 for the
# scripts that run there; openmpi-bin and mpich (runtime only: the host's
# mpi_ring binaries run against their libmpi.so.40 and libmpich.so.12, whose
# ABIs those of the host's Open MPI 4.1 and MPICH 4.0 are) for the MPI jobs
# of SlurmMpiJobTest on 24.11.  Changing this list rebuilds the tree (the stamp holds it).
PACKAGES=criu,slurmctld,slurmd,slurmrestd,slurm-client,slurm-wlm-jwt-plugin,libslurm-dev,munge,iproute2,procps,python3,openmpi-bin,mpich
SUITE=trixie
STAMP_NAME=.cryo-trixie-stamp
STAMP_WANT="suite=$SUITE packages=$PACKAGES"

mkdir -p "$(dirname "$TREE")"
TREE=$(readlink -f "$TREE")
STAMP=$TREE/$STAMP_NAME

# the tree's criu runs through the tree's own loader (glibc 2.41 is newer
# than the host's); scripts/trixie/criu does the same
tree_criu_version() {
    "$TREE/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" \
        --library-path "$TREE/usr/lib/x86_64-linux-gnu:$TREE/lib/x86_64-linux-gnu" \
        "$TREE/usr/sbin/criu" --version 2>/dev/null | awk '/^Version:/ { print $2 }'
}

tree_is_complete() {
    [[ -f $STAMP ]] && [[ $(head -n 1 "$STAMP") == "$STAMP_WANT" ]] && [[ -n $(tree_criu_version) ]]
}

if tree_is_complete; then
    ((CHECK_ONLY)) && exit 0
    say "present: $TREE (criu $(tree_criu_version); $(sed -n 2p "$STAMP"))"
    echo "$TREE"
    exit 0
fi
((CHECK_ONLY)) && { say "not complete: $TREE"; exit 1; }
((EUID == 0)) || die "building the tree needs root (debootstrap)"

# a path that is mounted (a namespace of trixie-mounts.sh, a bind by hand) is
# never deleted under its mounts
mounted_below() {
    awk -v p="$1" '$5 == p || index($5, p "/") == 1 { found = 1 } END { exit !found }' /proc/self/mountinfo
}
# its mount namespace (trixie-mounts.sh) holds mounts of the tree that the
# host's mount table does not show
mounted_below "$TREE.ns" && die "the tree's mount namespace is up: 'bash scripts/trixie/trixie-mounts.sh down' first"
if [[ -e $TREE ]]; then
    mounted_below "$TREE" && die "$TREE is incomplete or outdated but has mounts below it: unmount them first"
    say "$TREE is incomplete or outdated ($(head -n 1 "$STAMP" 2>/dev/null || echo 'no stamp')): building it again"
fi

# The mirror the host's apt uses for Debian itself, so the tree comes from
# wherever this machine is allowed to fetch packages ($CRYO_TRIXIE_MIRROR
# overrides it).
debian_mirror() {
    apt-cache policy 2>/dev/null | awk '
        /^ *[0-9]+ [a-z]+:\/\// { url = $2; suite = $3 }
        /release / && /o=Debian,/ && /l=Debian,/ && suite !~ /-(updates|security|backports)/ { print url; exit }'
}

install_debootstrap() {
    command -v debootstrap >/dev/null && return 0
    say "installing debootstrap on the host"
    if ! apt-get -o DPkg::Lock::Timeout=900 install -y -qq debootstrap >&2; then
        apt-get -o DPkg::Lock::Timeout=900 update -qq >&2
        apt-get -o DPkg::Lock::Timeout=900 install -y -qq debootstrap >&2
    fi
}

install_debootstrap
MIRROR=${CRYO_TRIXIE_MIRROR:-$(debian_mirror)}
[[ -n $MIRROR ]] || die "cannot tell the host's Debian mirror from apt-cache policy: set CRYO_TRIXIE_MIRROR"

PARTIAL=$TREE.partial
mounted_below "$PARTIAL" && die "$PARTIAL has mounts below it: unmount them first"
rm -rf "$PARTIAL"
LOG=$(dirname "$TREE")/trixie-debootstrap.log
say "debootstrap --variant=minbase $SUITE into $PARTIAL (log: $LOG; about 2 minutes)"
t0=$SECONDS
if ! debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$PARTIAL" "$MIRROR" >"$LOG" 2>&1; then
    tail -n 20 "$LOG" >&2
    die "debootstrap failed (log: $LOG)"
fi

# No package's init script may start a daemon in the tree when something is
# installed there later (chroot apt-get): Slurm and munge are started by
# whoever uses the tree, in its own mount namespace.
printf '#!/bin/sh\n# installed by scripts/trixie/trixie-tree.sh: no daemon starts on install\nexit 101\n' \
    >"$PARTIAL/usr/sbin/policy-rc.d"
chmod 0755 "$PARTIAL/usr/sbin/policy-rc.d"
# munge and Slurm look up the host's own name
host=$(hostname)
grep -qw -- "$host" "$PARTIAL/etc/hosts" 2>/dev/null || echo "127.0.0.1 $host" >>"$PARTIAL/etc/hosts"
# the .debs are not needed once installed (60 MB)
chroot "$PARTIAL" apt-get clean

CRIU_VERSION=$(TREE=$PARTIAL; tree_criu_version)
[[ -n $CRIU_VERSION ]] || die "the tree's criu does not run through the tree's loader"
SLURM_VERSION=$(chroot "$PARTIAL" dpkg-query -W -f '${Version}' slurmctld)
rm -rf "$TREE"
mv "$PARTIAL" "$TREE"
printf '%s\nbuilt %s in %d s: criu %s, slurm %s, from %s\n' "$STAMP_WANT" "$(date -u +%Y-%m-%dT%H:%MZ)" \
    $((SECONDS - t0)) "$CRIU_VERSION" "$SLURM_VERSION" "$MIRROR" >"$STAMP"
say "built $TREE in $((SECONDS - t0)) s ($(du -sh "$TREE" | cut -f1)): criu $CRIU_VERSION, slurm $SLURM_VERSION"
echo "$TREE"
