#!/usr/bin/env bash
# bench-programs.sh: issue 16's table.  Real programs from Debian's packages,
# each run once uninterrupted, then with a checkpoint midway (after a given
# line of its output) and a restart, under Cryo (cr_checkpoint --kill,
# cr_restart --detach) and CRIU 4.1 (scripts/trixie/criu dump, restore -d),
# alternately (Cryo first in odd pairs, CRIU in even ones); the restored run's
# output is compared with the uninterrupted one's.  Prints one line per run
# (PROGRAM SIDE rss_MB ckpt_s restart_s verdict, or the failure in one line)
# and then a Markdown table.  Root; CRIU needs the trixie tree (CRYO_TRIXIE).
#
#   bash scripts/bench-programs.sh [--pairs N] [--no-criu] [--no-install] [PROGRAM...]
#
# Programs: openmpi (a ring + MPI_Allreduce, mpirun -np 4), lammps (LJ melt,
# mpirun -np 2), lammps-singleton (the same without mpirun), mpich (the ring,
# -np 4), gromacs (a water box, 2 thread-MPI ranks pinned), r (a seeded loop,
# ~120 MB), octave, jvm (2 GB heap pre-touched, a pool of 24 threads), openmp
# (a reduction, 4 threads, 64 MB), numpy (power iteration, 200 MB),
# numpy-pool (multiprocessing.Pool of 4).  Deterministic settings: the MPI
# rings and LAMMPS for a given rank count; GROMACS with -reprod, fixed
# -ntmpi/-ntomp, -nb cpu and fixed seeds; OpenMP in integer arithmetic;
# numpy with OPENBLAS_NUM_THREADS=1 and seeded generators.
#
# Times: the checkpoint command's wall time; the restart command's (it returns
# once every process runs); then how long the restored job ran to its end.
# rss_MB: the tree's summed VmRSS at the checkpoint.  RESTART_CPUS=LIST runs
# the restart commands under `taskset -c LIST` (as a batch step bound to a
# CPU would): GROMACS restored by CRIU then has both ranks on that CPU.
# The set-up installs what the programs need (--no-install: it does not).
set -uo pipefail
REPO=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd -P)
export CRYO_TRIXIE=${CRYO_TRIXIE:-$REPO/target/trixie}
PAIRS=1 WITH_CRIU=1 INSTALL=1 ONLY=()
while (($#)); do
    case $1 in
        --pairs) PAIRS=$2; shift 2 ;;
        --no-criu) WITH_CRIU=0; shift ;;
        --no-install) INSTALL=0; shift ;;
        -*) echo "usage: $0 [--pairs N] [--no-criu] [--no-install] [PROGRAM...]" >&2; exit 2 ;;
        *) ONLY+=("$1"); shift ;;
    esac
done
PACKAGES=(openmpi-bin libopenmpi-dev mpich libmpich-dev lammps lammps-examples gromacs r-base-core octave
          python3-numpy default-jdk-headless gcc libgomp1 bc)
if ((INSTALL)); then
    source "$REPO/scripts/install-build-deps.sh"
    install_packages "${PACKAGES[@]}" || { echo "bench-programs: cannot install ${PACKAGES[*]}" >&2; exit 1; }
    set +e   # the sourced file sets -e: a grep that finds nothing is no failure here
fi
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
export OPENBLAS_NUM_THREADS=1
PROGS=$REPO/native/target/test-programs
CRIU=$REPO/scripts/trixie/criu
DIR=$(mktemp -d /tmp/cryo-bench-programs.XXXXXX)
RESULTS=$DIR/results
trap '[[ -n ${KEEP_DIR:-} ]] || rm -rf "$DIR"' EXIT

# ---- the workloads: each prints its progress and flushes it (a file is block-buffered) ----
write_workloads() {
    sed 's/^thermo.*/thermo 10\nthermo_modify flush yes/' /usr/share/lammps/examples/melt/in.melt >"$DIR/in.melt"
    cat >"$DIR/loop.R" <<'EOF'
set.seed(42)
x <- runif(1.5e7)
for (i in 1:40) {
    x[sample.int(length(x), 1e5)] <- runif(1e5)
    cat(sprintf("STEP %d %.10f\n", i, sum(x)))
    flush(stdout())
    Sys.sleep(0.1)
}
EOF
    cat >"$DIR/loop.m" <<'EOF'
rand("state", 42);
x = rand(4e6, 1);
for i = 1:40
  s = sum(x .* rand(4e6, 1));
  printf("STEP %d %.10f\n", i, s);
  fflush(stdout);
  pause(0.1);
end
EOF
    cat >"$DIR/power.py" <<'EOF'
import time, numpy as np
rng = np.random.default_rng(1)
a = rng.random((5000, 5000))
v = np.ones(5000)
for i in range(1, 41):
    v = a @ v
    lam = np.linalg.norm(v)
    v /= lam
    print(f"STEP {i} {lam:.12f}", flush=True)
    time.sleep(0.05)
EOF
    cat >"$DIR/pool.py" <<'EOF'
import time, numpy as np
from multiprocessing import Pool
def work(seed):
    return float(np.random.default_rng(seed).random(200000).sum())
if __name__ == "__main__":
    with Pool(4) as pool:
        for i in range(1, 41):
            print(f"STEP {i} {sum(pool.map(work, range(i * 8, i * 8 + 8))):.9f}", flush=True)
            time.sleep(0.1)
EOF
    cat >"$DIR/omp.c" <<'EOF'
/* integer arithmetic: the reduction's result does not depend on the order threads add in */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#define N (8u << 20)
int main(void)
{
	uint64_t *x = malloc(N * sizeof(*x));
	for (uint64_t i = 0; i < N; i++)
		x[i] = i * 2654435761u;
	for (int step = 1; step <= 40; step++) {
		uint64_t s = 0;
#pragma omp parallel for reduction(+:s) schedule(static)
		for (uint64_t i = 0; i < N; i++) {
			x[i] = x[i] * 6364136223846793005u + (uint64_t)step;
			s += x[i] >> 7;
		}
		printf("STEP %d %llu\n", step, (unsigned long long)s);
		fflush(stdout);
		usleep(100000);
	}
	return 0;
}
EOF
    gcc -O2 -fopenmp -o "$DIR/omp" "$DIR/omp.c" || return 1
    cat >"$DIR/Pool25.java" <<'EOF'
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
public class Pool25 {
    public static void main(String[] args) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(24);
        long[][] data = new long[24][1 << 20];
        for (int step = 1; step <= 40; step++) {
            List<Future<Long>> parts = new ArrayList<>();
            for (int t = 0; t < 24; t++) {
                final int k = t, s = step;
                parts.add(pool.submit(() -> {
                    long sum = 0;
                    for (int i = 0; i < data[k].length; i++) {
                        data[k][i] = data[k][i] * 6364136223846793005L + s + k;
                        sum += data[k][i] >>> 9;
                    }
                    return sum;
                }));
            }
            long total = 0;
            for (Future<Long> f : parts) total += f.get();
            System.out.println("STEP " + step + " " + total);
            System.out.flush();
            Thread.sleep(100);
        }
        pool.shutdown();
    }
}
EOF
    javac -d "$DIR" "$DIR/Pool25.java" || return 1
    gromacs_input
}

# 176 SPC waters from GROMACS's own spc216.gro, reaction field, V-rescale, fixed seeds (RealProgramsTest's, longer)
gromacs_input() {
    printf '#include "oplsaa.ff/forcefield.itp"\n#include "oplsaa.ff/spc.itp"\n\n[ system ]\nwater\n\n[ molecules ]\n' >"$DIR/water.top"
    printf '%s\n' "integrator = md" "dt = 0.002" "nsteps = 2000" "nstlog = 100" "nstenergy = 100" "nstcalcenergy = 100" \
        "cutoff-scheme = Verlet" "coulombtype = reaction-field" "rcoulomb = 0.8" "rvdw = 0.8" "tcoupl = v-rescale" \
        "tc-grps = System" "tau_t = 0.1" "ref_t = 300" "ld-seed = 1" "gen-vel = yes" "gen-temp = 300" "gen-seed = 1" \
        "constraints = h-bonds" >"$DIR/md.mdp"
    (cd "$DIR" && gmx -quiet solvate -cs spc216.gro -box 1.8 1.8 1.8 -o box.gro -p water.top &&
        gmx -quiet grompp -f md.mdp -c box.gro -p water.top -o md.tpr -maxwarn 2) >"$DIR/gmx-setup.log" 2>&1
}

# JOB: the command (@RUN@: this run's name); MARK: the line after which it is checkpointed;
# OUTFILE: where its output is (default: its stdout, @RUN@.out); KEEP: the lines compared.
STEP_LINES='^(RANKS|STEP|RESULT) '
THERMO='^ +[0-9]+( +-?[0-9.e+-]+){5} *$'
GMX_ENERGIES='^ +[0-9]+ +[0-9]+\.[0-9]{5}$|^( +-?[0-9]\.[0-9]{5}e[+-][0-9]{2})+$'
declare -A JOB=(
    [openmpi]="mpirun.openmpi -np 4 $PROGS/mpi_ring.openmpi 60"
    [lammps]="mpirun.openmpi -np 2 lmp -in $DIR/in.melt -log none"
    [lammps-singleton]="lmp -in $DIR/in.melt -log none"
    [mpich]="mpirun.mpich -np 4 $PROGS/mpi_ring.mpich 60"
    [gromacs]="gmx -quiet mdrun -s $DIR/md.tpr -deffnm $DIR/@RUN@ -ntmpi 2 -ntomp 1 -pin on -reprod -nb cpu"
    [r]="Rscript $DIR/loop.R"
    [octave]="octave-cli --norc -q $DIR/loop.m"
    [jvm]="java -Xms2g -Xmx2g -XX:+AlwaysPreTouch -cp $DIR Pool25"
    [openmp]="env OMP_NUM_THREADS=4 $DIR/omp"
    [numpy]="/usr/bin/python3 $DIR/power.py"
    [numpy-pool]="/usr/bin/python3 $DIR/pool.py"
)
ORDER=(openmpi lammps lammps-singleton mpich gromacs r octave jvm openmp numpy numpy-pool)
declare -A LABEL=(
    [openmpi]='Open MPI, `mpirun -np 4`, a ring + `MPI_Allreduce` loop' [lammps]='LAMMPS (`lammps`, LJ melt) under `mpirun -np 2`'
    [lammps-singleton]='LAMMPS without `mpirun` (singleton)' [mpich]='MPICH (hydra), `-np 4`, the ring'
    [gromacs]='GROMACS (`gromacs`), a water box, 2 thread-MPI ranks pinned' [r]='R (`r-base-core`), a seeded loop'
    [octave]='GNU Octave' [jvm]='a JVM with a 2 GB heap, 25 threads' [openmp]='OpenMP reduction, 4 threads'
    [numpy]='numpy power iteration' [numpy-pool]='numpy + `multiprocessing.Pool`, 4 processes'
)
declare -A MARK=([openmpi]='^STEP 10 ' [mpich]='^STEP 10 ' [lammps]='^ *60 ' [lammps-singleton]='^ *60 '
                 [gromacs]='^ +600 +1\.20000$')
declare -A OUTFILE=([gromacs]=@RUN@.log)
declare -A KEEP=([lammps]=$THERMO [lammps-singleton]=$THERMO [gromacs]=$GMX_ENERGIES)

now() { date +%s.%N; }
secs() { printf %.2f "$(echo "$2 - $1" | bc)"; }
tree_of() { local p; echo "$1"; for p in $(pgrep -P "$1"); do tree_of "$p"; done; }
rss_mb() { local p kb=0 k; for p in "$@"; do k=$(awk '/^VmRSS:/ {print $2}' "/proc/$p/status" 2>/dev/null); kb=$((kb + ${k:-0})); done; echo $((kb / 1024)); }
# the CPUs each thread of the tree may run on, as a sorted list: what a pinned program set
affinity_of() { local p; for p in "$@"; do cat /proc/"$p"/task/*/status 2>/dev/null; done | awk '/^Cpus_allowed_list:/ {print $2}' | sort | tr '\n' ' '; }
wait_gone() { local p; for p in "$@"; do for _ in $(seq 600); do [[ -e /proc/$p ]] || break; sleep 0.05; done; done; }
# a detached restored process is nobody's child here: ended when gone or a zombie (init reaps late)
ended() { [[ ! -e /proc/$1 ]] || [[ $(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1) == [ZX] ]]; }
wait_end() { for _ in $(seq 2400); do ended "$1" && return 0; sleep 0.1; done; return 1; }
command_of() { echo "${JOB[$1]//@RUN@/$2}"; }
output_of() { local f=${OUTFILE[$1]:-@RUN@.out}; echo "$DIR/${f//@RUN@/$2}"; }
keep() { grep -E "${KEEP[$1]:-$STEP_LINES}" "$2"; }
# The job in a session of its own, stdin /dev/null, no descriptor of ours but stdout and stderr; this
# shell's child (not a command substitution's, which would leave it to init, and `cr_checkpoint --kill`
# waits until the killed processes are reaped: init here reaps late).  Sets PID.  Last run's files go
# first (mdrun would back them up, and the mark would be found in the old log).
start() {   # JOB RUN
    rm -f "$DIR/$2".* "$DIR/#$2".*
    setsid bash -c 'exec 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- 250>&- 251>&-; exec "$@"' job $(command_of "$1" "$2") \
        >"$DIR/$2.out" 2>&1 </dev/null &
    PID=$!
    disown "$PID"   # reaped all the same, without a "Killed" line for each
}

reference() {   # JOB
    local pid
    start "$1" "$1_ref"
    pid=$PID
    wait_end "$pid" || { kill -9 $(tree_of "$pid") 2>/dev/null; echo "the uninterrupted run did not end in 240 s"; return 1; }
    wait "$pid" 2>/dev/null
    local n
    n=$(keep "$1" "$(output_of "$1" "$1_ref")" | wc -l)
    ((n > 5)) || { echo "the uninterrupted run printed $n lines to compare: $(tail -n 2 "$DIR/$1_ref.out" | tr '\n' ' ')"; return 1; }
}

# CRIU's first error is always its RLIMIT_NOFILE one (no CAP_SYS_RESOURCE here), harmless: the next ones
one_line() { grep -iE "$2" $1 2>/dev/null | grep -v 'RLIMIT_NOFILE' | head -n 2 | tr '\n' ' ' | cut -c1-300; }

run_one() {   # JOB SIDE
    local job=$1 side=$2 run=$1_$2 pid pids t0 t1 t2 t3 rc rss out
    rm -rf "$DIR/img" "$DIR/ctx.cryo"; mkdir -p "$DIR/img"
    start "$job" "$run"
    pid=$PID
    out=$(output_of "$job" "$run")
    for _ in $(seq 2400); do grep -qE "${MARK[$job]:-^STEP 10 }" "$out" 2>/dev/null && break; sleep 0.05; done
    pids=$(tree_of "$pid")
    rss=$(rss_mb $pids)
    local cpus_before cpus_after
    cpus_before=$(affinity_of $pids)
    t0=$(now)
    if [[ $side == cryo ]]; then
        "$REPO/bin/cr_checkpoint" --kill -f "$DIR/ctx.cryo" "$pid" >"$DIR/ckpt.log" 2>&1; rc=$?
    else
        "$CRIU" dump -t "$pid" -D "$DIR/img" --tcp-established --ghost-limit 256M -o dump.log >"$DIR/ckpt.log" 2>&1; rc=$?
    fi
    t1=$(now)
    kill -9 $pids 2>/dev/null; wait_gone $pids
    if ((rc)); then
        echo "$job $side $rss checkpoint-failed: $(tail -n 1 "$DIR/ckpt.log" | cut -c1-300) $(one_line "$DIR/img/dump.log" 'Error')"
        return
    fi
    t2=$(now)
    local pinned=()
    [[ -n ${RESTART_CPUS:-} ]] && pinned=(taskset -c "$RESTART_CPUS")
    if [[ $side == cryo ]]; then
        "${pinned[@]}" "$REPO/bin/cr_restart" --detach "$DIR/ctx.cryo" >"$DIR/rst.log" 2>&1; rc=$?
    else
        "${pinned[@]}" "$CRIU" restore -d -D "$DIR/img" --tcp-established -o restore.log >"$DIR/rst.log" 2>&1; rc=$?
    fi
    t3=$(now)
    cpus_after=$(affinity_of $pids)
    if ((rc)); then
        echo "$job $side $rss $(secs "$t0" "$t1") restart-failed: $(one_line "$DIR/rst.log $DIR/img/restore.log" 'error')"
        return
    fi
    if ! wait_end "$pid"; then
        echo "$job $side $rss $(secs "$t0" "$t1") $(secs "$t2" "$t3") HUNG: no end in 240 s, $(keep "$job" "$out" | wc -l) of $(keep "$job" "$(output_of "$job" "${job}_ref")" | wc -l) lines"
        kill -9 $(tree_of "$pid") 2>/dev/null; wait_gone "$pid"
        return
    fi
    local verdict=identical
    diff -q <(keep "$job" "$(output_of "$job" "${job}_ref")") <(keep "$job" "$out") >/dev/null || verdict=DIFFERENT
    # read as the restart returned: a thread that ended meanwhile is missing, not moved
    [[ $cpus_before == "$cpus_after" ]] || echo "$job $side note: CPU affinity before [$cpus_before] after the restart [$cpus_after]" | tee -a "$RESULTS.notes" >&2
    echo "$job $side $rss $(secs "$t0" "$t1") $(secs "$t2" "$t3") $(secs "$t3" "$(now)") $verdict"
}

# one cell per side: the verdict (or the first failure) and the times' range over the pairs
cell() {   # JOB SIDE
    awk -v j="$1" -v s="$2" '
        $1 == j && $2 == s {
            if ($NF == "identical" || $NF == "DIFFERENT") {
                n++; v[$NF]++
                if (n == 1 || $4 < cmin) cmin = $4; if (n == 1 || $4 > cmax) cmax = $4
                if (n == 1 || $5 < rmin) rmin = $5; if (n == 1 || $5 > rmax) rmax = $5
                if (n == 1 || $6 < amin) amin = $6; if (n == 1 || $6 > amax) amax = $6
            } else if (fail == "") { fail = $0; sub(/^[^ ]+ [^ ]+ [^ ]+ /, "", fail) }
        }
        function range(a, b) { return a == b ? a " s" : a "–" b " s" }
        END {
            if (n) {
                out = (v["DIFFERENT"] ? "DIFFERENT output (" v["DIFFERENT"] " of " n ")" : "identical") "; checkpoint " range(cmin, cmax) ", restart " range(rmin, rmax) ", then ran " range(amin, amax)
                if (fail != "") out = out "; also: " fail
            } else out = fail == "" ? "not run" : fail
            gsub(/\|/, "\\|", out); print out
        }' "$RESULTS"
}

rss_of() { awk -v j="$1" '$1 == j { print $3; exit }' "$RESULTS"; }

main() {
    ((EUID == 0)) || { echo "bench-programs: run as root (CRIU and the MPI launchers' checkpoint need it)" >&2; exit 1; }
    [[ -x $REPO/native/target/bin/cryo-engine && -x $PROGS/mpi_ring.openmpi ]] || { echo "bench-programs: build first (make -C native)" >&2; exit 1; }
    if ((WITH_CRIU)) && ! "$CRIU" --version >/dev/null 2>&1; then
        echo "bench-programs: no CRIU ($CRIU --version fails: the trixie tree, CRYO_TRIXIE), CRIU left out" >&2
        WITH_CRIU=0
    fi
    write_workloads || { echo "bench-programs: cannot build the workloads (see $DIR)" >&2; exit 1; }
    local jobs=("${ONLY[@]:-${ORDER[@]}}") job p side sides
    : >"$RESULTS"
    echo "# bench-programs $(date -u +%FT%TZ), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), Cryo $(git -C "$REPO" rev-parse --short HEAD), $("$CRIU" --version 2>/dev/null | head -n1)"
    for job in "${jobs[@]}"; do
        [[ -n ${JOB[$job]:-} ]] || { echo "bench-programs: no program $job (${ORDER[*]})" >&2; exit 2; }
        if ! reference "$job" >"$DIR/ref.msg"; then
            echo "$job - - reference-failed: $(cat "$DIR/ref.msg")" | tee -a "$RESULTS"
            continue
        fi
        for ((p = 1; p <= PAIRS; p++)); do
            sides=(cryo criu)
            ((p % 2 == 0)) && sides=(criu cryo)
            for side in "${sides[@]}"; do
                [[ $side == criu ]] && ! ((WITH_CRIU)) && continue
                run_one "$job" "$side" | tee -a "$RESULTS"
            done
        done
    done
    echo
    [[ -s $RESULTS.notes ]] && cat "$RESULTS.notes"
    echo "| program (Debian 12 package) | RSS MB | Cryo | CRIU 4.1 |"
    echo "|---|---|---|---|"
    for job in "${jobs[@]}"; do
        echo "| ${LABEL[$job]} | $(rss_of "$job") | $(cell "$job" cryo) | $( ((WITH_CRIU)) && cell "$job" criu || echo 'not run') |"
    done
}
main
