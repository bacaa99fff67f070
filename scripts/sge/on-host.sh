#!/usr/bin/env bash
# on-host.sh HOST CMD...: run CMD on execution host HOST of the Grid Engine test cluster
# (sge-up.sh), in the caller's working directory.  The adapter's tests use it as
# CRYO_SGE_NODE_EXEC ("on-host.sh %n"), so that a command meant for the host of a job runs
# there: sgenode2 lives in its own network, UTS and mount namespaces, the head host in this
# machine's (those of sge_qmaster).
# On a real cluster this would be "ssh %n" or similar.  Needs root (nsenter).
set -euo pipefail
source "$(dirname "$(readlink -f "$0")")/common.sh"
host=${1:?usage: on-host.sh HOST CMD...}; shift
(( $# )) || { echo "usage: on-host.sh HOST CMD..." >&2; exit 2; }
here=$(hostname -s)
if [[ $host == "$here" ]]; then exec "$@"; fi
if [[ $host == "$NODE2" ]]; then
    node2_namespaces_exist || { echo "on-host.sh: $NODE2 is not up (run sge-up.sh)" >&2; exit 2; }
    exec nsenter --net="/run/netns/$NETNS" --uts="$UTS_FILE" --mount="$MNT_FILE" --wd=. -- "$@"
fi
# From sgenode2 (e.g. in a job or hook there) to the head host: sge_qmaster's namespaces are
# the head host's (PID 1's namespaces cannot be entered on this machine: "Permission denied").
if [[ $host == "$(cat "$COMMON/act_qmaster" 2>/dev/null)" ]] && alive "$QMASTER_PID" sge_qmaster; then
    exec nsenter --target="$(cat "$QMASTER_PID")" --net --uts --mount --wd=. -- "$@"
fi
echo "on-host.sh: unknown host '$host' (or the cluster is not up)" >&2
exit 2
