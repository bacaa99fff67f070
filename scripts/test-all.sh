#!/usr/bin/env bash
# Builds Cryo and runs every test: the engine's test programs through the JUnit
# suites in core-checkpoint (surefire prints "Tests run: ...").  Used by .ci/run.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."

source scripts/install-build-deps.sh
install_packages "${BUILD_PACKAGES[@]}"

# Test-only dependencies (libc6-dev above already brings the static libc that
# the static test programs need): procps for the tests that look at processes.
TEST_PACKAGES=(procps)
install_packages "${TEST_PACKAGES[@]}"

# ---------------------------------------------------------------------------
# SLURM SET-UP (to be added): install and start a single-node Slurm
# (slurmctld + slurmd, munge) here, so that the Slurm adapter's integration
# tests can submit, checkpoint, requeue and restart real jobs.
# ---------------------------------------------------------------------------

mvn -B package
