#!/usr/bin/env bash
# Builds Cryo and shows it at work: a running counter is checkpointed, killed and
# restarted, and carries on from where it was.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."

bash scripts/install-build-deps.sh
mvn -B -q -DskipTests package
exec bin/cryo demo
