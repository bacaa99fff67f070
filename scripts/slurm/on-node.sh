#!/usr/bin/env bash
# on-node.sh NODE CMD...: run CMD on compute node NODE of the test cluster (slurm-up.sh).
# Cryo's Slurm adapter uses it as CRYO_NODE_EXEC ("on-node.sh %n") so that a checkpoint runs on
# the node that holds the job: node2 lives in its own network and UTS namespace, the head
# node in PID 1's.  On a real cluster CRYO_NODE_EXEC would be "ssh %n" or similar.
set -euo pipefail
node=${1:?usage: on-node.sh NODE CMD...}; shift
if [[ $node == "$(hostname -s)" ]]; then
    exec "$@"
fi
if [[ -e /run/cryo/uts-$node && -e /run/netns/cryo-$node ]]; then
    exec nsenter --net="/run/netns/cryo-$node" --uts="/run/cryo/uts-$node" -- "$@"
fi
# Any other node name of the test cluster is the head node, i.e. this machine's own namespaces.
if [[ $(nsenter --uts=/proc/1/ns/uts hostname -s) == "$node" ]]; then
    exec nsenter --net=/proc/1/ns/net --uts=/proc/1/ns/uts -- "$@"
fi
echo "on-node.sh: unknown node '$node'" >&2
exit 2
