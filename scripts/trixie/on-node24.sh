#!/usr/bin/env bash
# on-node24.sh NODE CMD...: run CMD on compute node NODE of the Slurm 24.11 test cluster
# (slurm24-up.sh), in the cluster's root.  Cryo's Slurm adapter uses it as CRYO_NODE_EXEC
# ("on-node24.sh %n"), from the host (the tests' 'cryo slurm checkpoint') and from jobs in the
# root (cryo-slurm.sh's trap).  A node is the network and UTS namespaces of its slurmd, found
# through the slurmd's pid file in the root's /run, so the same lookup works on either side.
set -euo pipefail
source "$(dirname "$(readlink -f "$0")")/slurm24-common.sh"
node=${1:?usage: on-node24.sh NODE CMD...}; shift
(($#)) || { echo "usage: on-node24.sh NODE CMD..." >&2; exit 2; }
# on the host: into the root first (slurm24-run.sh keeps the environment and directory)
[[ -e $ROOT_MARKER ]] || exec "$TRIXIE_SCRIPTS/slurm24-run.sh" "$TRIXIE_SCRIPTS/on-node24.sh" "$node" "$@"
[[ $node == "$(hostname -s)" ]] && exec "$@"
pid=$(cat "/run/slurm/slurmd-$node.pid" 2>/dev/null || true)
if [[ $pid =~ ^[0-9]+$ ]] && live "$pid" && [[ $(cat "/proc/$pid/comm" 2>/dev/null) == slurmd ]]; then
    exec nsenter --net="/proc/$pid/ns/net" --uts="/proc/$pid/ns/uts" -- "$@"
fi
echo "on-node24.sh: unknown node '$node' (no running slurmd of that name in the Slurm 24.11 test cluster)" >&2
exit 2
