#!/usr/bin/env bash
# bench-mpi.sh: the MPI jobs of MpiJobsTest, checkpointed mid-run with Cryo
# (cr_checkpoint --kill, cr_restart --detach) and with CRIU (scripts/trixie/criu
# dump, restore -d), alternately; each restored run's output is compared with an
# uninterrupted one.  Root; needs the trixie tree for CRIU (CRYO_TRIXIE).
#
#   bash scripts/bench-mpi.sh [--pairs N] [--no-criu]
#
# Times: the checkpoint command's wall time; the restart command's (it returns
# once every process runs).  SIDE cryo is cr_checkpoint/cr_restart, engine is
# cryo-engine alone (what they run, without the JVM).  One line per run:
# JOB SIDE ckpt_s restart_s verdict.
set -uo pipefail
REPO=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd -P)
PAIRS=1 WITH_CRIU=1
while (($#)); do
    case $1 in
        --pairs) PAIRS=$2; shift 2 ;;
        --no-criu) WITH_CRIU=0; shift ;;
        *) echo "usage: $0 [--pairs N] [--no-criu]" >&2; exit 2 ;;
    esac
done
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
PROGS=$REPO/native/target/test-programs
ENGINE=$REPO/native/target/bin/cryo-engine   # the engine alone: no JVM start
DIR=$(mktemp -d /tmp/cryo-bench-mpi.XXXXXX)
trap 'rm -rf "$DIR"' EXIT
sed 's/^thermo.*/thermo 10\nthermo_modify flush yes/' /usr/share/lammps/examples/melt/in.melt >"$DIR/in.melt"
declare -A JOB=(
    [openmpi]="mpirun.openmpi -np 4 $PROGS/mpi_ring.openmpi 60"
    [mpich]="mpirun.mpich -np 4 $PROGS/mpi_ring.mpich 60"
    [lammps]="mpirun.openmpi -np 2 lmp -in $DIR/in.melt -log none"
)
declare -A FIRST_LINE=([openmpi]='^STEP 10 ' [mpich]='^STEP 10 ' [lammps]='^ *60 ')
now() { date +%s.%N; }
# the part of the output that must match: the ring's lines, LAMMPS's thermo rows
keep() { grep -E '^(RANKS|STEP|RESULT) |^ +[0-9]+( +-?[0-9.e+-]+){5} *$' "$1"; }
tree_of() { local p; echo "$1"; for p in $(pgrep -P "$1"); do tree_of "$p"; done; }
wait_gone() { local p; for p in "$@"; do for _ in $(seq 600); do [[ -e /proc/$p ]] || break; sleep 0.05; done; done; }
wait_end() { for _ in $(seq 2400); do [[ -e /proc/$1 ]] || return 0; sleep 0.1; done; return 1; }

run_one() {   # JOB SIDE
    local job=$1 side=$2 out=$DIR/$1.$2.out pid pids t0 t1 t2 t3 rc
    rm -rf "$DIR/img" "$DIR/ctx.cryo"; mkdir -p "$DIR/img"
    # in a session of its own, stdin /dev/null, no descriptor of ours but stdout and stderr
    setsid bash -c 'exec 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- 250>&- 251>&-; exec "$@"' job ${JOB[$job]} >"$out" 2>&1 </dev/null &
    pid=$!
    for _ in $(seq 1200); do grep -qE "${FIRST_LINE[$job]}" "$out" && break; sleep 0.05; done
    pids=$(tree_of "$pid")
    t0=$(now)
    if [[ $side == cryo ]]; then
        "$REPO/bin/cr_checkpoint" --kill -f "$DIR/ctx.cryo" "$pid" >"$DIR/ckpt.log" 2>&1; rc=$?
    elif [[ $side == engine ]]; then
        "$ENGINE" checkpoint --kill -f "$DIR/ctx.cryo" "$pid" >"$DIR/ckpt.log" 2>&1; rc=$?
    else
        "$REPO/scripts/trixie/criu" dump -t "$pid" -D "$DIR/img" --tcp-established --ghost-limit 256M -o dump.log >"$DIR/ckpt.log" 2>&1; rc=$?
    fi
    t1=$(now)
    { kill -9 $pids; wait "$pid"; } 2>/dev/null; wait_gone $pids
    if ((rc)); then
        echo "$job $side checkpoint-failed: $(tail -n 1 "$DIR/ckpt.log") $(grep -m2 Error "$DIR/img/dump.log" 2>/dev/null | tr '\n' ' ')"
        return
    fi
    t2=$(now)
    if [[ $side == cryo ]]; then
        "$REPO/bin/cr_restart" --detach "$DIR/ctx.cryo" >"$DIR/rst.log" 2>&1; rc=$?
    elif [[ $side == engine ]]; then
        "$ENGINE" restore --detach "$DIR/ctx.cryo" >"$DIR/rst.log" 2>&1; rc=$?
    else
        "$REPO/scripts/trixie/criu" restore -d -D "$DIR/img" --tcp-established -o restore.log >"$DIR/rst.log" 2>&1; rc=$?
    fi
    t3=$(now)
    if ((rc)); then
        echo "$job $side $(printf %.2f "$(echo "$t1 - $t0" | bc)") restart-failed: $(grep -m2 -i error "$DIR/rst.log" "$DIR/img/restore.log" 2>/dev/null | tr '\n' ' ')"
        return
    fi
    wait_end "$pid" || echo "$job $side: the restored job did not end in 240 s"
    local verdict=identical
    diff -q <(keep "$DIR/$job.ref") <(keep "$out") >/dev/null || verdict=DIFFERENT
    printf '%s %s %.2f %.2f %s\n' "$job" "$side" "$(echo "$t1 - $t0" | bc)" "$(echo "$t3 - $t2" | bc)" "$verdict"
}

SIDES=${SIDES:-cryo engine criu}
for job in ${JOBS:-openmpi mpich lammps}; do
    ${JOB[$job]} >"$DIR/$job.ref" 2>&1 </dev/null 250>&- 251>&-
    for ((p = 1; p <= PAIRS; p++)); do
        for side in $SIDES; do
            [[ $side == criu ]] && ! ((WITH_CRIU)) && continue
            run_one "$job" "$side"
        done
    done
done
