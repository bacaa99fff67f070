#!/usr/bin/env bash
# Builds Cryo and runs every test: the engine's test programs through the JUnit
# suites in core-checkpoint (surefire prints "Tests run: ...").  Used by .ci/run.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
# The Debian 13 tree (Slurm 24.11, CRIU 4.1): everything that builds or runs from it reads the same
# CRYO_TRIXIE (the SPANK plugin's build against 24.11's spank.h, slurm24-up.sh, the benchmark).
export CRYO_TRIXIE=${CRYO_TRIXIE:-$PWD/target/trixie}

source scripts/install-build-deps.sh
install_packages "${BUILD_PACKAGES[@]}"

# Test-only dependencies (libc6-dev above already brings the static libc that
# the static test programs need): procps for the tests that look at processes; both MPIs
# (the build compiles native/tests/mpi/mpi_ring.c with each), LAMMPS with its examples for MpiJobsTest
# and GROMACS for RealProgramsTest.
TEST_PACKAGES=(procps openmpi-bin libopenmpi-dev mpich libmpich-dev lammps lammps-examples gromacs)
install_packages "${TEST_PACKAGES[@]}"

# The console's browser tests (site/): Debian's chromium, driven by playwright-core from npm
# (site/browser-tests/package-lock.json; never a browser download of playwright's own).
# (this machine's Node.js brings its own npm: Debian's npm only where there is none)
install_packages chromium
command -v npm >/dev/null || install_packages nodejs npm
(cd site/browser-tests && npm ci --no-audit --no-fund --loglevel=error)

# ---------------------------------------------------------------------------
# SLURM SET-UP: a real two-node Slurm 22.05 cluster (slurmctld, slurmd on this host, a second
# slurmd in its own network/UTS namespace, slurmrestd with JWT on 127.0.0.1:6820) for the
# Slurm adapter's integration tests in plugin-slurm, which fail if it is not up.  Stopped again
# on exit, whatever happens.  python3 runs the tests' checkpointable job.
# ---------------------------------------------------------------------------
install_packages python3
# GRID ENGINE SET-UP: a real two-host Son of Grid Engine 8.1.9 cluster (qmaster and an execd on
# this host, a second execd "sgenode2" in its own network/UTS/mount namespaces; scripts/sge/) for
# plugin-sge's integration tests, which fail if it is not up.  It can run beside Slurm's.
# SLURM 24.11: a second, independent two-node cluster (scripts/trixie/slurm24-up.sh) from a Debian
# 13 tree that scripts/trixie/trixie-tree.sh builds by debootstrap from the host's mirror (about
# 2.5 minutes, once; $CRYO_TRIXIE, else target/trixie) and reuses when present: plugin-slurm's
# suite runs once on each Slurm (its pom's two surefire executions).
trap 'bash scripts/sge/sge-down.sh; bash scripts/slurm/slurm-down.sh; bash scripts/trixie/slurm24-down.sh' EXIT
bash scripts/trixie/trixie-tree.sh >/dev/null
# The SPANK plugin (sbatch --checkpoint) against each Slurm's spank.h, before either cluster starts:
# their up scripts name it in their plugstack.conf only when it is built.
if [[ -f plugin-slurm/spank/build.sh ]]; then
    bash plugin-slurm/spank/build.sh
fi
bash scripts/slurm/slurm-up.sh
bash scripts/trixie/slurm24-up.sh
bash scripts/sge/sge-up.sh

status=0
# Two modules at a time (-T 2): once the core's tests have passed, the adapters' suites, which
# spend most of their time waiting for their scheduler, run side by side, each on its own cluster
# (a module that uses another's cluster depends on it and runs after it: site after plugin-slurm).
mvn -B -T 2 package || status=$?

# Every daemon down, then no test process may be left behind (scripts/check-no-leftovers.sh).
trap - EXIT
bash scripts/sge/sge-down.sh
bash scripts/slurm/slurm-down.sh
bash scripts/trixie/slurm24-down.sh
# The Debian packages mvn package built (target/debs): installed, used from /usr/bin, purged.
bash scripts/package-test.sh || status=1
bash scripts/check-no-leftovers.sh || status=1
exit "$status"
