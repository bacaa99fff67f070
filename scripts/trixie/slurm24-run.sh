#!/usr/bin/env bash
# slurm24-run.sh CMD...: run CMD in the root of the Slurm 24.11 test cluster (slurm24-up.sh):
# its mount namespace, whose root it is, this host's network and UTS namespaces, the caller's
# environment and working directory (shared storage and the repository have the same paths in
# the root; any other directory becomes /).  The tests put it before every Slurm client they
# run (sbatch, scontrol, squeue, 'runuser -u U -- cryo slurm ...'): the host's Slurm 22.05
# clients cannot talk to a 24.11 controller, and the cluster's munge socket is in the root.
# In the root already (a job, on-node24.sh), it just runs CMD.  Needs root.
set -euo pipefail
source "$(dirname "$(readlink -f "$0")")/slurm24-common.sh"
(($#)) || { echo "usage: slurm24-run.sh CMD..." >&2; exit 2; }
[[ -e $ROOT_MARKER ]] && exec "$@"
((EUID == 0)) || die "needs root (it enters the cluster's mount namespace)"
ns_is_up || die "the Slurm 24.11 test cluster is not up (bash scripts/trixie/slurm24-up.sh)"
# A host SLURM_CONF would point the tree's clients at the host cluster's configuration.
unset SLURM_CONF
exec nsenter --mount="$NSFILE" /bin/sh -c 'cd "$1" 2>/dev/null || cd /; shift; exec "$@"' \
    slurm24-run "$PWD" "$@"
