#!/usr/bin/env bash
# cryo-agent-nosystemd.sh start|stop|status: run the Cryo node agent without systemd (docs/HEALTH.md).
# Reads /etc/default/cryo-agent like the unit does; logs to /var/log/cryo-agent.log; pid in /run/cryo-agent.pid.
set -euo pipefail
home=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
pidfile=/run/cryo-agent.pid
[[ -r /etc/default/cryo-agent ]] && { set -a; source /etc/default/cryo-agent; set +a; }
running() { [[ -r $pidfile ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }
case ${1:-} in
    start)
        running && { echo "cryo agent already runs (pid $(cat "$pidfile"))"; exit 0; }
        install -d -m 0700 /var/lib/cryo/health
        nohup "$home/bin/cryo" agent --scheduler "${CRYO_SCHEDULER:?set CRYO_SCHEDULER in /etc/default/cryo-agent}" \
            --config /etc/cryo/health.conf --journal /var/lib/cryo/health --listen 127.0.0.1:9797 \
            >> /var/log/cryo-agent.log 2>&1 < /dev/null &
        echo $! > "$pidfile"; echo "cryo agent started (pid $!)";;
    stop)
        running && kill -TERM "$(cat "$pidfile")" && echo "cryo agent stopped"; rm -f "$pidfile";;
    status)
        if running; then echo "cryo agent runs (pid $(cat "$pidfile"))"; else echo "cryo agent is not running"; exit 3; fi;;
    *) echo "usage: $0 start|stop|status" >&2; exit 1;;
esac
