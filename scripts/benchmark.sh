#!/usr/bin/env bash
# The benchmark command: how long Cryo takes to checkpoint and to restart a
# process, next to CRIU and to what this machine's disk and memory allow.
#
#   bash scripts/benchmark.sh [--pairs N] [--runs N] [--cases all|user|engine|compress|incremental] [--no-criu]
#                             [--quick] [--dir DIR] [--write-doc]
#
#   --pairs N    the user's sequence: N alternating Cryo/CRIU pairs per case (default 5)
#   --runs N     the engine cases: repeat each N times (default 3); median and min
#   --cases C    user: only the user's sequence; engine: only the engine cases;
#                compress: only the compression cases; all (default);
#                incremental: only scripts/benchmark-incremental.sh's cases (4 GiB with 1%
#                written since the parent, pre-copy of 1 GiB that writes 1% per 100 ms)
#   --no-criu    the user's sequence without CRIU (it needs root and the trixie tree)
#   --quick      a smoke run: 1 pair, 1 run, the 1 GiB and 64 MiB cases only
#   --dir DIR    where the context files go (default target/bench in the repo);
#                must be on a local disk, not tmpfs, with ~10 GiB free
#   --write-doc  also rewrite docs/BENCHMARKS.md with the results
#
# The user's sequence (issues 15 and 16), Cryo through its user commands and
# CRIU 4.1 (Debian 13's, from the trixie tree of scripts/trixie/trixie-tree.sh,
# run by scripts/trixie/criu) on the same workloads, alternating (Cryo first
# in odd pairs, CRIU first in even ones).  Each side: start the workload
# (native/bench/memhog.c or memtree.c, in a session of its own), time
# `cr_checkpoint --kill -f FILE PID` / `criu dump -t PID -D DIR`, wait until
# every PID of the tree is free, then time `cr_restart --detach FILE` /
# `criu restore -d -D DIR` until "restart done": the command has returned
# with status 0 and every process of the tree runs again under its original
# PID, neither stopped nor a zombie (/proc/PID/stat).  That restart is "as the
# user runs it" (whatever of the image is in the page cache: the share is
# measured with fincore), and it is repeated "cold", after
# `echo 3 > /proc/sys/vm/drop_caches`, for both.  Every restored tree must
# pass its memory check (SIGUSR1) before it is killed.  In the same run, per
# pair: the machine's floor (dd of the same bytes to and from the same
# directory with O_DIRECT, first touch and memcpy of the touched memory,
# native/bench/bandwidth.c), and the start-up of Cryo's command (--help).
#
# The compression cases (issue 15): Cryo's user sequence as above, without and
# with `cr_checkpoint --compress`, alternating, on a 1 GiB heat-equation grid
# (native/bench/stencil.c: doubles of a real solver, neither random nor zeros)
# and on 1 GiB of random data: the file's size, the checkpoint, the restart as
# the user runs it and cold, each compressed figure also as a ratio to the
# uncompressed one of the same pair.
#
# The engine cases (what the benchmark measured before): a process holding 1 GiB of random data, one holding 4 GiB, one
# mapping 4 GiB of which it touched 10% (the rest never faulted in), and a
# process tree: 8 processes of 8 threads each, 256 MiB of random data in each
# (native/bench/memtree.c), checkpointed and restored whole.  For each
# run: start the workload (native/bench/memhog.c or memtree.c) as our child, time
# `cryo-engine checkpoint`, kill -9 and reap the original, then time
# `cryo-engine restore --detach` with the original PID "warm", with the context
# file in the page cache (reading it there is timed on its own; the checkpoint
# writes through the page cache and fsyncs, so it leaves the file cached); "warm, freed memory",
# the same again at once (with --no-restore-pid, as init has not reaped the
# first copy yet) into the memory the first copy just freed, which this VM has
# not yet handed back to its host; and "cold", original PID again, after
# `echo 1 > /proc/sys/vm/drop_caches` (root only; skipped otherwise).  A
# restore with the original PIDs first waits until every PID of the tree is
# free (init reaps the killed children, slowly on some VMs).
# Each restored process must pass its memory check (SIGUSR1) before it is
# killed.  Alongside: dd to and from the same directory, memcpy bandwidth and
# first-touch cost (native/bench/bandwidth.c), and the machine's facts.
#
# The Markdown report goes to stdout, progress to stderr.  Every file it makes
# is removed at the end, also on Ctrl-C.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
REPO=$PWD

RUNS=3
PAIRS=5
RUN_USER=1
RUN_ENGINE=1
RUN_COMPRESS=1
RUN_INCREMENTAL=1
WITH_CRIU=1
QUICK=0
DIR=$REPO/target/bench
WRITE_DOC=0
usage() { sed -n '5,16p' "$0" | sed 's/^# \{0,1\}//' >&2; exit "${1:-1}"; }
while (($#)); do
    case $1 in
        --pairs) [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || usage; PAIRS=$2; shift 2 ;;
        --pairs=*) PAIRS=${1#*=}; [[ $PAIRS =~ ^[1-9][0-9]*$ ]] || usage; shift ;;
        --cases|--cases=*)
            if [[ $1 == *=* ]]; then which=${1#*=}; shift; else which=${2:-}; shift 2 || usage; fi
            case $which in
                all) RUN_USER=1 RUN_ENGINE=1 RUN_COMPRESS=1 RUN_INCREMENTAL=1 ;;
                user) RUN_USER=1 RUN_ENGINE=0 RUN_COMPRESS=0 RUN_INCREMENTAL=0 ;;
                engine) RUN_USER=0 RUN_ENGINE=1 RUN_COMPRESS=0 RUN_INCREMENTAL=0 ;;
                compress) RUN_USER=0 RUN_ENGINE=0 RUN_COMPRESS=1 RUN_INCREMENTAL=0 ;;
                incremental) RUN_USER=0 RUN_ENGINE=0 RUN_COMPRESS=0 RUN_INCREMENTAL=1 ;;
                *) usage ;;
            esac ;;
        --no-criu) WITH_CRIU=0; shift ;;
        --quick) QUICK=1; shift ;;
        --runs) [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || usage; RUNS=$2; shift 2 ;;
        --runs=*) RUNS=${1#*=}; [[ $RUNS =~ ^[1-9][0-9]*$ ]] || usage; shift ;;
        --dir) [[ -n ${2:-} ]] || usage; DIR=$2; shift 2 ;;
        --dir=*) DIR=${1#*=}; shift ;;
        --write-doc) WRITE_DOC=1; shift ;;
        -h|--help) usage 0 ;;
        *) echo "benchmark: unknown argument $1" >&2; usage ;;
    esac
done

# name|MiB mapped (in all)|percent touched|workload: memhog, or tree:PROCESSES:THREADS (memtree)
CASES=("1 GiB, all touched|1024|100|memhog" "4 GiB, all touched|4096|100|memhog" "4 GiB, 10% touched|4096|10|memhog"
       "tree: 8 processes, 64 threads, 2 GiB in total|2048|100|tree:8:8")
# the user's sequence, same format
UCASES=("1 GiB of random data|1024|100|memhog" "64 MiB small job|64|100|memhog" "4 GiB, 10% touched|4096|10|memhog"
        "tree: 8 processes, 64 threads, 2 GiB in total|2048|100|tree:8:8")
# the compression cases (keys z0, z1 beside the user cases'), same format; stencil: the heat equation
ZCASES=("1 GiB heat-equation grid (doubles)|1024|100|stencil" "1 GiB of random data|1024|100|memhog")
ENGINE_CASES=${!CASES[*]}   # the indices of the engine cases that run
if ((QUICK)); then
    PAIRS=1 RUNS=1
    ENGINE_CASES=0
    UCASES=("${UCASES[0]}" "${UCASES[1]}")
fi

say() { echo "benchmark: $*" >&2; }
die() { say "$*"; exit 1; }
now_us() { echo "${EPOCHREALTIME/./}"; }
# The lazy restart is watched while its page server has both CPUs busy: a watcher that
# forks (sleep, awk, $(...)) at every poll took 40 ms of a 1 GiB fill's 210 here.  So
# its polls fork nothing: nap waits on a pipe nobody writes to (NAP_FD, open only
# while watching, so that no workload inherits it), rss_anon reads /proc/PID/status
# with read, and the clock is $EPOCHREALTIME itself.
nap() { read -r -t "$1" -u "$NAP_FD" _ || true; }
rss_anon() {   # rss_anon PID: RSS_ANON its RssAnon in KiB (0: gone)
    local k v
    RSS_ANON=0
    { while read -r k v _; do [[ $k == RssAnon: ]] && { RSS_ANON=$v; return 0; }; done <"/proc/$1/status"; } 2>/dev/null
    return 0
}
secs() { awk -v us="$1" 'BEGIN { printf "%.3f", us / 1e6 }'; }   # microseconds -> s

T_START=$(now_us)
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------------------
# Where: a local disk with room, enough memory
# ---------------------------------------------------------------------------
CREATED_DIR=0
if [[ ! -d $DIR ]]; then
    mkdir -p "$DIR"
    CREATED_DIR=1
fi
DIR=$(readlink -f "$DIR")
FSTYPE=$(stat -f -c %T "$DIR")
case $FSTYPE in
    tmpfs|ramfs) die "$DIR is on $FSTYPE: give --dir a directory on a local disk" ;;
esac
AVAIL_KB=$(df -Pk "$DIR" | awk 'NR == 2 { print $4 }')
((AVAIL_KB >= 9 * 1024 * 1024)) || die "$DIR has $((AVAIL_KB / 1024 / 1024)) GiB free; the benchmark needs about 10 GiB"
MEMAVAIL_KB=$(awk '/^MemAvailable:/ { print $2 }' /proc/meminfo)
((MEMAVAIL_KB >= 10 * 1024 * 1024)) || die "only $((MEMAVAIL_KB / 1024 / 1024)) GiB of memory available; the benchmark needs about 10 GiB (4 GiB workload + 4 GiB page cache)"

# ---------------------------------------------------------------------------
# Clean-up: our workload, restored copies, every file we made
# ---------------------------------------------------------------------------
CHILD=""      # the running workload (our child)
CHILD_TREE="" # and its children, if it is a tree
RESTORED=""   # a restored copy (not our child) and its children
FILES=()
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    set +e   # every step below runs, whatever the one before it returned
    [[ -n $CHILD ]] && { kill -9 "$CHILD" $CHILD_TREE 2>/dev/null; wait "$CHILD" 2>/dev/null; }
    [[ -n $RESTORED ]] && kill -9 $RESTORED 2>/dev/null
    ((${#FILES[@]})) && rm -f "${FILES[@]}" "${FILES[@]/%/.tmp}"
    [[ -n ${IMG:-} ]] && rm -rf "$IMG"
    # the trixie tree's mounts are never left behind
    ((${NS_MINE:-0})) && bash "$REPO/scripts/trixie/trixie-mounts.sh" down
    [[ $CREATED_DIR == 1 ]] && rmdir "$DIR" 2>/dev/null
    exit "$rc"
}
trap cleanup EXIT
trap 'say "interrupted"; exit 130' INT TERM

CTX=$DIR/bench.ctx
DDFILE=$DIR/ddtest
OUT=$DIR/memhog.out
REPORT=$DIR/memhog.verify
FILES=("$CTX" "$DDFILE" "$OUT" "$REPORT")
rm -f "${FILES[@]}"

# ---------------------------------------------------------------------------
# Build
# ---------------------------------------------------------------------------
# only what the benchmark runs (not the test programs, which it does not need);
# cr_checkpoint and cr_restart also need the Java build (mvn package), which
# is checked, not made, here
say "building (make -C native: the engine and the benchmark programs)"
BUILD_LOG=$(mktemp)
if ! make -C native target/bin/cryo-engine target/lib/libcryojni.so target/bin/cryo-bench-memhog \
        target/bin/cryo-bench-memtree target/bin/cryo-bench-bandwidth target/bin/cryo-bench-stencil \
        target/test-programs/mem_writer >"$BUILD_LOG" 2>&1; then
    tail -n 30 "$BUILD_LOG" >&2
    rm -f "$BUILD_LOG"
    die "make -C native failed"
fi
rm -f "$BUILD_LOG"
BIN=$REPO/native/target/bin
ENGINE=$BIN/cryo-engine
MEMHOG=$BIN/cryo-bench-memhog
MEMTREE=$BIN/cryo-bench-memtree
STENCIL=$BIN/cryo-bench-stencil
for b in "$ENGINE" "$MEMHOG" "$MEMTREE" "$BIN/cryo-bench-bandwidth"; do
    [[ -x $b ]] || die "$b was not built"
done

# ---------------------------------------------------------------------------
# Results: R[case:metric] is a space-separated list, one value per run
# (NA when that step failed or was skipped)
# ---------------------------------------------------------------------------
declare -A R
add() { R[$1:$2]="${R[$1:$2]:-} $3"; }
NOTES=()
note() { NOTES+=("$*"); say "note: $*"; }

DROP_OK=1
if ! { sync && echo 1 >/proc/sys/vm/drop_caches; } 2>/dev/null; then
    DROP_OK=0
    note "cannot write /proc/sys/vm/drop_caches (not root?): cold restores skipped"
fi

# wait (up to $2 s) for /proc/$1 to go: a killed restored copy is reaped by init, not by us
wait_gone() {
    local pid=$1 limit=$(($(now_us) + ${2:-60} * 1000000))
    while [[ -e /proc/$pid ]]; do
        (($(now_us) < limit)) || return 1
        sleep 0.02
    done
}

# wait (up to $2 s) until process $1 is dead: a zombie or gone (its memory is freed)
wait_dead() {
    local pid=$1 limit=$(($(now_us) + ${2:-60} * 1000000)) state
    while state=$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null) && [[ $state != Z ]]; do
        (($(now_us) < limit)) || return 1
        sleep 0.01
    done
}

# the PIDs of the descendants of $1 (children first), from /proc/PID/task/TID/children
descendants() {
    local kids k
    kids=$(cat /proc/"$1"/task/*/children 2>/dev/null || true)
    for k in $kids; do
        echo "$k"
        descendants "$k"
    done
}

# verify PID: SIGUSR1, then wait for the verdict in $REPORT; prints it
verify_restored() {
    local pid=$1 limit=$(($(now_us) + 120 * 1000000)) state
    rm -f "$REPORT"
    state=$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null) || { echo "process $pid is gone"; return 1; }
    [[ $state != Z ]] || { echo "process $pid is a zombie"; return 1; }
    kill -USR1 "$pid" 2>/dev/null || { echo "process $pid cannot be signalled"; return 1; }
    while [[ ! -s $REPORT ]]; do
        if (($(now_us) >= limit)) || [[ ! -e /proc/$pid ]]; then
            echo "no verdict from process $pid"
            return 1
        fi
        sleep 0.02
    done
    head -c 300 "$REPORT" | head -n 1
    grep -q '^verify ok' "$REPORT"
}

# restore_once warm|reuse|cold CASE [OPTION...]: times `cryo-engine restore
# --detach`, checks the copy and kills it (the whole tree); seconds in LAST_S
# ("failed" if it did not restore), the copy's PIDs in LAST_PID (dead, but
# maybe not reaped yet)
restore_once() {
    local kind=$1 c=$2 t0 t1 out err rc verdict
    shift 2
    LAST_S=failed LAST_PID=""
    err=$(mktemp)
    t0=$(now_us)
    set +e
    out=$(CRYO_TIMING=1 "$ENGINE" restore "$@" --detach "$CTX" 2>"$err")
    rc=$?
    set -e
    t1=$(now_us)
    if ((rc != 0)) || ! [[ $out =~ ^[0-9]+$ ]]; then
        note "${CASE_NAME[$c]}, run $RUN, $kind restore failed (exit $rc): $(tr '\n' ' ' <"$err")(cryo-engine verify of the file: $("$ENGINE" verify "$CTX" 2>&1 | tr '\n' ' ' && echo ok || true))"
        rm -f "$err"
        add "$c" "${kind}_s" NA
        add "$c" "${kind}_mem_ms" NA
        return 0
    fi
    RESTORED=$out
    add "$c" "${kind}_s" "$(secs $((t1 - t0)))"
    # the memory phase of every process of the tree, added up
    add "$c" "${kind}_mem_ms" "$(awk '/^cryo: memory / { s += $3; f = 1 } END { if (f) printf "%.3f\n", s; else print "NA" }' "$err")"
    rm -f "$err"
    local root=$RESTORED p
    RESTORED="$root $(descendants "$root" | tr '\n' ' ')"
    if verdict=$(verify_restored "$root"); then
        :
    else
        note "${CASE_NAME[$c]}, run $RUN, $kind restore: the restored process failed its check: $verdict"
    fi
    kill -9 $RESTORED 2>/dev/null || true
    for p in $RESTORED; do
        wait_dead "$p" 60 || note "restored process $p still alive 60 s after kill -9"
    done
    LAST_PID=$RESTORED
    RESTORED=""
    LAST_S=$(secs $((t1 - t0)))
}

# time_cmd VAR CMD...: runs CMD, stores elapsed seconds in VAR (NA on failure)
time_cmd() {
    local __var=$1 t0 t1
    shift
    t0=$(now_us)
    if "$@" >/dev/null 2>&1; then
        t1=$(now_us)
        printf -v "$__var" '%s' "$(secs $((t1 - t0)))"
    else
        printf -v "$__var" NA
    fi
}

declare -A CASE_NAME CASE_MIB CASE_PCT CASE_KIND
for c in "${!CASES[@]}"; do
    IFS='|' read -r CASE_NAME[$c] CASE_MIB[$c] CASE_PCT[$c] CASE_KIND[$c] <<<"${CASES[$c]}"
done

# ---------------------------------------------------------------------------
# Machine probe
# ---------------------------------------------------------------------------
say "measuring memcpy bandwidth and first-touch cost"
declare -A BW
while IFS='=' read -r k v; do BW[$k]=$v; done < <("$BIN/cryo-bench-bandwidth")

# ---------------------------------------------------------------------------
# The user's sequence: Cryo's commands and CRIU's, alternating
# ---------------------------------------------------------------------------
CR_CHECKPOINT=$REPO/bin/cr_checkpoint
CR_RESTART=$REPO/bin/cr_restart
CRIU=$REPO/scripts/trixie/criu
IMG=$DIR/criu.img        # CRIU's image directory
CRIU_VERSION=""
NS_MINE=0                # 1 when this run brought the tree's mount namespace up

# the tree, its mounts and both `criu check`s; on failure CRIU is left out (a note says why)
prepare_criu() {
    local tree_out check
    ((EUID == 0)) || { note "not root: CRIU left out (its dump and restore of other processes need root)"; return 1; }
    local t0=$SECONDS
    if ! tree_out=$(bash "$REPO/scripts/trixie/trixie-tree.sh" 2>&1); then
        note "the trixie tree could not be built, CRIU left out: $(tail -n 3 <<<"$tree_out" | tr '\n' ' ')"
        return 1
    fi
    say "trixie tree ready in $((SECONDS - t0)) s"
    # the tree's own `criu check`, chrooted, needs its mounts; they live in a
    # mount namespace of their own and are taken down again at once (and by
    # cleanup if this is interrupted)
    case $(bash "$REPO/scripts/trixie/trixie-mounts.sh" up) in
        created) NS_MINE=1 ;;
        present) ;;
        *) note "the trixie tree's mounts could not be set up, CRIU left out"; return 1 ;;
    esac
    check=$(bash "$REPO/scripts/trixie/trixie-mounts.sh" run criu check 2>&1 </dev/null || true)
    if ((NS_MINE)); then
        bash "$REPO/scripts/trixie/trixie-mounts.sh" down && NS_MINE=0
    fi
    grep -q 'Looks good' <<<"$check" || { note "criu check in the trixie tree failed, CRIU left out: $(tail -n 2 <<<"$check" | tr '\n' ' ')"; return 1; }
    # the one that dumps the benchmark's processes: in the host's root (see scripts/trixie/criu)
    check=$("$CRIU" check 2>&1 </dev/null || true)
    grep -q 'Looks good' <<<"$check" || { note "criu check (the tree's criu in the host's root) failed, CRIU left out: $(tail -n 2 <<<"$check" | tr '\n' ' ')"; return 1; }
    CRIU_VERSION=$("$CRIU" --version | awk '/^Version:/ { print $2 }')
    say "CRIU $CRIU_VERSION: criu check passes in the tree and in the host's root"
}

# a live process that runs: not stopped (T, t), not a zombie, not dead
# (read, not awk: no fork, so the poll that times a restart costs next to nothing)
runs() {
    local stat
    { read -r stat <"/proc/$1/stat"; } 2>/dev/null || return 1
    stat=${stat##*) }   # the state follows the command name, which may hold spaces and ")"
    [[ ${stat%% *} != [TtZX] ]]
}

# start_workload C: the workload of user case C in a session of its own
# (CRIU dumps a session whole; it is the same for Cryo), our child; its PIDs in UTREE, root first
# wait (up to 300 s) until the workload $CHILD has written "ready" to $OUT
await_ready() {
    local limit=$(($(now_us) + 300 * 1000000))
    until grep -q '^ready' "$OUT" 2>/dev/null; do
        kill -0 "$CHILD" 2>/dev/null || die "the workload died: $(cat "$OUT")"
        (($(now_us) < limit)) || die "the workload was not ready after 300 s"
        sleep 0.02
    done
}

start_workload() {
    local c=$1 mib=${UCASE_MIB[$1]} pct=${UCASE_PCT[$1]}
    rm -f "$OUT" "$REPORT"
    # setsid execs without forking (the child of a script is no group leader), so $! is the workload
    if [[ ${UCASE_KIND[$c]} == tree:* ]]; then
        IFS=: read -r _ nproc nthr <<<"${UCASE_KIND[$c]}"
        setsid "$MEMTREE" $((mib / nproc)) "$nproc" "$nthr" "$REPORT" </dev/null >"$OUT" 2>&1 &
    elif [[ ${UCASE_KIND[$c]} == stencil ]]; then
        setsid "$STENCIL" "$mib" 10 "$REPORT" </dev/null >"$OUT" 2>&1 &
    else
        setsid "$MEMHOG" "$mib" "$pct" "$REPORT" </dev/null >"$OUT" 2>&1 &
    fi
    CHILD=$!
    # no "Killed" line from bash when a checkpoint ends it; bash still reaps it
    disown "$CHILD"
    await_ready
    [[ $(awk '{ print $6 }' "/proc/$CHILD/stat") == "$CHILD" ]] || die "the workload $CHILD does not lead its own session"
    CHILD_TREE=$(descendants "$CHILD" | tr '\n' ' ')
    UTREE="$CHILD $CHILD_TREE"
}

# bytes of the page cache that hold FILE... (fincore), and their size
cached_share() {
    local res size
    res=$(fincore --bytes --noheadings --output RES "$@" 2>/dev/null | awk '{ s += $1 } END { print s + 0 }')
    size=$(du -cb "$@" | awk 'END { print $1 }')
    awk -v r="$res" -v s="$size" 'BEGIN { printf "%.0f", (s > 0 ? 100 * r / s : 0) }'
}

# user_checkpoint SIDE C: times the side's checkpoint of the running workload,
# then reaps it and waits until every PID of its tree is free
user_checkpoint() {
    local side=$1 c=$2 t0 t1 rc out p compress=()
    sync
    [[ $side == zstd ]] && compress=(--compress)   # Cryo with compression: the compression cases
    if [[ $side != criu ]]; then
        rm -f "$CTX"
        t0=$(now_us)
        set +e
        out=$("$CR_CHECKPOINT" --kill "${compress[@]}" -f "$CTX" "$CHILD" 2>&1 </dev/null)
        rc=$?
        set -e
        t1=$(now_us)
    else
        rm -rf "$IMG"
        mkdir -p "$IMG"
        t0=$(now_us)
        set +e
        out=$("$CRIU" dump -t "$CHILD" -D "$IMG" -o dump.log 2>&1 </dev/null)
        rc=$?
        set -e
        t1=$(now_us)
    fi
    # whichever way it went, the original must go: a failed side kills it here
    kill -9 $UTREE 2>/dev/null || true
    for p in $UTREE; do
        wait_gone "$p" 120 || note "${UCASE_NAME[$c]}, pair $PAIR, $side: original process $p still in /proc 120 s after its checkpoint"
    done
    CHILD="" CHILD_TREE=""
    if ((rc != 0)); then
        [[ $side == criu ]] && out+=" $(grep -m 3 'Error' "$IMG/dump.log" 2>/dev/null | tr '\n' ' ')"
        note "${UCASE_NAME[$c]}, pair $PAIR: $side checkpoint failed (exit $rc): $(tr '\n' ' ' <<<"$out" | head -c 400)"
        add "u$c" "${side}_ckpt_s" NA
        return 1
    fi
    add "u$c" "${side}_ckpt_s" "$(secs $((t1 - t0)))"
    if [[ $side != criu ]]; then
        add "u$c" "${side}_bytes" "$(stat -c %s "$CTX")"
    else
        add "u$c" "${side}_bytes" "$(du -sb "$IMG" | cut -f1)"
    fi
    # what making the image durable would add (Cryo's checkpoint already fsyncs; CRIU's does not)
    t0=$(now_us); sync; t1=$(now_us)
    add "u$c" "${side}_sync_s" "$(secs $((t1 - t0)))"
}

# user_restart SIDE C KIND (asrun|cold): times the side's restart until every
# process of the tree runs under its original PID, checks the copy, kills it
# and waits until its PIDs are free again
user_restart() {
    local side=$1 c=$2 kind=$3 t0 t1 tc rc out p limit done_ok=1 verdict timing=()
    local image=("$CTX")
    [[ $side == criu ]] && image=("$IMG"/*)
    if [[ $kind == cold ]]; then
        sync
        echo 3 >/proc/sys/vm/drop_caches
    fi
    add "u$c" "${side}_${kind}_cached_pct" "$(cached_share "${image[@]}")"
    RESTORED=$UTREE   # so that cleanup kills a copy that an interrupt leaves running
    t0=$(now_us)
    set +e
    # cold, CRYO_TIMING: the engine's own split of the memory phase, waiting for page data against writing it
    [[ $kind == cold ]] && timing=(env CRYO_TIMING=1)
    if [[ $side != criu ]]; then
        out=$("${timing[@]}" "$CR_RESTART" --detach "$CTX" 2>&1 </dev/null)
    else
        out=$("$CRIU" restore -d -D "$IMG" -o "restore-$kind.log" 2>&1 </dev/null)
    fi
    rc=$?
    set -e
    tc=$(now_us)
    limit=$(($(now_us) + 60 * 1000000))
    if ((rc == 0)); then
        for p in $UTREE; do
            until runs "$p"; do
                (($(now_us) < limit)) || { done_ok=0; break 2; }
                sleep 0.002
            done
        done
    fi
    t1=$(now_us)
    if ((rc != 0 || !done_ok)); then
        [[ $side == criu ]] && out+=" $(grep -m 3 'Error' "$IMG/restore-$kind.log" 2>/dev/null | tr '\n' ' ')"
        note "${UCASE_NAME[$c]}, pair $PAIR: $side restart ($kind) failed (exit $rc$( ((done_ok)) || echo ', not every process runs after 60 s')): $(tr '\n' ' ' <<<"$out" | head -c 400)"
        add "u$c" "${side}_${kind}_s" NA
    else
        add "u$c" "${side}_${kind}_s" "$(secs $((t1 - t0)))"
        add "u$c" "${side}_${kind}_p$PAIR" "$(secs $((t1 - t0)))"
        if [[ $side != criu && $kind == cold ]]; then
            # per process, the slower of the two writers: ms waiting for data, ms writing it (summed over the tree)
            add "u$c" cryo_cold_wait_ms "$(grep -o 'waiting for data [0-9]* + [0-9]* ms' <<<"$out" |
                awk '{ s += ($4 > $6 ? $4 : $6) } END { print (NR ? s : "NA") }')"
            add "u$c" cryo_cold_write_ms "$(grep -o 'writing [0-9]* + [0-9]* ms' <<<"$out" |
                awk '{ s += ($2 > $4 ? $2 : $4) } END { print (NR ? s : "NA") }')"
        fi
        # how long after the command's exit the tree was seen running
        add "u$c" poll_gap_ms "$(awk -v us=$((t1 - tc)) 'BEGIN { printf "%.1f", us / 1000 }')"
        if verdict=$(verify_restored "$CHILD_ROOT"); then
            add "u$c" "${side}_verified" 1
        else
            note "${UCASE_NAME[$c]}, pair $PAIR: $side restart ($kind): the restored process failed its check: $verdict"
            add "u$c" "${side}_verified" 0
        fi
    fi
    kill -9 $UTREE 2>/dev/null || true
    for p in $UTREE; do
        wait_gone "$p" 120 || note "${UCASE_NAME[$c]}, pair $PAIR, $side: restored process $p still in /proc 120 s after kill -9"
    done
    RESTORED=""
}

# user_lazy_restart C: `cr_restart --detach --lazy --signal USR2 FILE` from the
# same file: the workload's USR2 handler, queued before the release and so the
# first thing the restored copy runs, writes the time of day to REPORT.ran:
# lazy_first_ms is from the command's start to then.  lazy_all_s: from the
# command's start until the copy's resident anonymous memory holds every touched page
# (RssAnon, polled every 2 ms by reads that fork nothing), the prefetch done.  Then the copy is checked and
# killed like the others.
user_lazy_restart() {
    local c=$1 t0 t1 ran rc out p limit want rss verdict
    want=$(($(utouched_bytes "$c") / 1024))
    RESTORED=$UTREE
    rm -f "$REPORT.ran"
    t0=$(now_us)
    set +e
    out=$("$CR_RESTART" --detach --lazy --signal USR2 "$CTX" 2>&1 </dev/null)
    rc=$?
    set -e
    limit=$((${EPOCHREALTIME/./} + 60 * 1000000))
    if ((rc == 0)); then
        exec {NAP_FD}<> <(:)
        until [[ -s $REPORT.ran ]] || ((${EPOCHREALTIME/./} > limit)); do nap 0.001; done
        rss_anon "$CHILD_ROOT"
        until ((RSS_ANON >= want || ${EPOCHREALTIME/./} > limit)); do
            nap 0.002
            rss_anon "$CHILD_ROOT"
        done
        t1=${EPOCHREALTIME/./}
        exec {NAP_FD}<&-
        rss=$RSS_ANON
        ran=$(cat "$REPORT.ran" 2>/dev/null || true)
    fi
    if ((rc != 0)) || [[ -z ${ran:-} ]] || ((${rss:-0} < want)); then
        note "${UCASE_NAME[$c]}, pair $PAIR: cryo lazy restart failed (exit $rc, ran ${ran:-never}, RssAnon ${rss:-?} of $want KiB): $(tr '\n' ' ' <<<"$out" | head -c 300)"
        add "u$c" lazy_first_ms NA
        add "u$c" lazy_all_s NA
    else
        add "u$c" lazy_first_ms "$(awk -v us=$((ran - t0)) 'BEGIN { printf "%.1f", us / 1000 }')"
        add "u$c" lazy_all_s "$(secs $((t1 - t0)))"
        if verdict=$(verify_restored "$CHILD_ROOT"); then
            add "u$c" lazy_verified 1
        else
            note "${UCASE_NAME[$c]}, pair $PAIR: cryo lazy restart: the restored process failed its check: $verdict"
            add "u$c" lazy_verified 0
        fi
    fi
    kill -9 $UTREE 2>/dev/null || true
    for p in $UTREE; do
        wait_gone "$p" 120 || note "${UCASE_NAME[$c]}, pair $PAIR, lazy: restored process $p still in /proc 120 s after kill -9"
    done
    RESTORED=""
}

# the machine's floor for user case C, in this pair: dd of the image's bytes
# (whole 4 MiB blocks) with O_DIRECT, out and back in; first touch and memcpy
# of the touched memory (bandwidth.c on a fresh 256 MiB region)
user_floor() {
    local c=$1 bytes count dw dr k v
    bytes=$(last "u$c" cryo_bytes)
    [[ -n $bytes && $bytes != NA ]] || bytes=$(awk -v m="${UCASE_MIB[$c]}" -v p="${UCASE_PCT[$c]}" 'BEGIN { printf "%.0f", m * 1048576 * p / 100 }')
    count=$(((bytes + 4194303) / 4194304))
    time_cmd dw dd if=/dev/zero of="$DDFILE" bs=4M count="$count" oflag=direct conv=fsync
    time_cmd dr dd if="$DDFILE" of=/dev/null bs=4M iflag=direct
    rm -f "$DDFILE"
    add "u$c" dd_write_s "$dw"
    add "u$c" dd_read_s "$dr"
    declare -A bw=()
    while IFS='=' read -r k v; do bw[$k]=$v; done < <("$BIN/cryo-bench-bandwidth" 256)
    local tb
    tb=$(utouched_bytes "$c")
    add "u$c" touch_s "$(awk -v t="$tb" -v r="${bw[fill_4k_s_per_gib]:-NA}" 'BEGIN { print (r == "NA" ? "NA" : sprintf("%.3f", t / 1073741824 * r)) }')"
    add "u$c" memcpy_s "$(awk -v t="$tb" -v g="${bw[memcpy_gbps_median]:-NA}" 'BEGIN { print (g == "NA" || g <= 0 ? "NA" : sprintf("%.3f", t / 1e9 / g)) }')"
    # the fixed cost of Cryo's commands (native: no JVM starts)
    local t0 t1
    t0=$(now_us)
    "$CR_CHECKPOINT" --help >/dev/null 2>&1 || true
    t1=$(now_us)
    add "u$c" cli_start_s "$(secs $((t1 - t0)))"
}

# the value of the last run of metric $2 of case $1
last() { awk '{ print $NF }' <<<"${R[$1:$2]:-NA}"; }
utouched_bytes() { awk -v m="${UCASE_MIB[$1]}" -v p="${UCASE_PCT[$1]}" 'BEGIN { printf "%.0f", int(m * 256 * p / 100 + 0.5) * 4096 }'; }

# image_floor C disk|fresh: the direct-read floor under a cold restart, in the same minute
# and from the same blocks: dd iflag=direct of the context file itself, caches dropped
# first.  disk: 4 MiB at a time into one buffer, the disk alone (image_dd_read_s).  fresh:
# into one buffer the size of the file, fresh memory, as any restore must land it
# (image_fresh_read_s; read(2) takes at most 2 GiB at a time, so a larger file's tail
# lands in memory already touched).  On this VM the two compete: the host backs the
# guest's fresh memory from what it would cache the disk's blocks in, so a read into a
# 4 MiB buffer can run at 4 GB/s where no restore can.  (user_floor's dd reads back
# another file, of zeros, that it has just written, minutes from the restart.  This VM's
# disk reads the same 1 GiB in anything from 0.24 to 1.6 s, depending on what its host
# still caches, so only a read of the same blocks in the same minute bounds the restart.)
image_floor() {
    local c=$1 into=$2 dr bs=4M key=image_dd_read
    if [[ $into == fresh ]]; then
        bs=$((($(stat -c %s "$CTX") + 4095) / 4096 * 4096))
        key=image_fresh_read
    fi
    sync
    echo 3 >/proc/sys/vm/drop_caches
    time_cmd dr dd if="$CTX" of=/dev/null bs="$bs" iflag=direct
    add "u$c" "${key}_s" "$dr"
    add "u$c" "${key}_p$PAIR" "$dr"
}

# cold_rounds C: Cryo's cold restart beside both floors, COLD_ROUNDS times, each time in
# another of the three orders (each one meets what the one before it left in the host's
# cache and memory, so none always goes first)
COLD_ROUNDS=2
declare -A COLD_TURN
cold_rounds() {
    local c=$1 r step turn order
    for ((r = 0; r < COLD_ROUNDS; r++)); do
        turn=${COLD_TURN[$c]:-0}
        COLD_TURN[$c]=$((turn + 1))
        case $((turn % 3)) in
            0) order=(restart disk fresh) ;;
            1) order=(disk fresh restart) ;;
            *) order=(fresh restart disk) ;;
        esac
        for step in "${order[@]}"; do
            case $step in
                restart) user_restart cryo "$c" cold ;;
                *) image_floor "$c" "$step" ;;
            esac
        done
    done
}

# one side of one pair: checkpoint, restart as the user runs it, restart cold
user_side() {
    local side=$1 c=$2
    start_workload "$c"
    CHILD_ROOT=$CHILD
    if user_checkpoint "$side" "$c"; then
        # the lazy restart of the one-process cases (memhog) beside the full one, from the same
        # file: after it in odd pairs, before it in even ones (each meets the memory the one
        # before it freed, which this VM's host takes back meanwhile, so neither always does)
        local lazy=0
        [[ $side == cryo && ${UCASE_KIND[$c]} == memhog && ${UCASE_PCT[$c]} == 100 ]] && lazy=1
        ((lazy && PAIR % 2 == 0)) && user_lazy_restart "$c"
        user_restart "$side" "$c" asrun
        ((lazy && PAIR % 2 == 1)) && user_lazy_restart "$c"
        if ((DROP_OK)); then
            if [[ $side == cryo ]]; then
                cold_rounds "$c"
            else
                user_restart "$side" "$c" cold
            fi
        else
            add "u$c" "${side}_cold_s" NA
        fi
    else
        add "u$c" "${side}_asrun_s" NA
        add "u$c" "${side}_cold_s" NA
    fi
    rm -rf "$CTX" "$IMG"
}

declare -A UCASE_NAME UCASE_MIB UCASE_PCT UCASE_KIND
for c in "${!UCASES[@]}"; do
    IFS='|' read -r UCASE_NAME[$c] UCASE_MIB[$c] UCASE_PCT[$c] UCASE_KIND[$c] <<<"${UCASES[$c]}"
done
for z in "${!ZCASES[@]}"; do
    IFS='|' read -r UCASE_NAME[z$z] UCASE_MIB[z$z] UCASE_PCT[z$z] UCASE_KIND[z$z] <<<"${ZCASES[$z]}"
done
ZKEYS=(z0 z1)
((QUICK)) && ZKEYS=(z0)

if ((RUN_USER)); then
    "$CR_CHECKPOINT" --help >/dev/null 2>&1 || die "bin/cr_checkpoint does not run: build Cryo first (mvn -B -DskipTests package)"
    ((WITH_CRIU)) && { prepare_criu || WITH_CRIU=0; }
    SIDES=(cryo)
    ((WITH_CRIU)) && SIDES=(cryo criu)
    for PAIR in $(seq 1 "$PAIRS"); do
        for c in "${!UCASES[@]}"; do
            order=("${SIDES[@]}")
            # alternate who goes first, so neither always meets the other's leftovers
            ((PAIR % 2 == 0 && ${#SIDES[@]} == 2)) && order=(criu cryo)
            for side in "${order[@]}"; do
                say "${UCASE_NAME[$c]}: pair $PAIR of $PAIRS, $side"
                user_side "$side" "$c"
            done
            user_floor "$c"
            say "  $(for side in "${SIDES[@]}"; do
                printf '%s: checkpoint %s s, restart %s s (cold %s s); ' "$side" \
                    "$(last "u$c" "${side}_ckpt_s")" "$(last "u$c" "${side}_asrun_s")" "$(last "u$c" "${side}_cold_s")"
            done)floor: dd write $(last "u$c" dd_write_s) s, first touch $(last "u$c" touch_s) s"
        done
    done
fi

# criu_zstd_side C: CRIU beside `cr_checkpoint --compress`, compressed the way its users do
# it (CRIU 4.1 compresses nothing itself): `dump`, then zstd of its page images at Cryo's
# level and thread count (--fast=50 -T2); to restart, `zstd -d` of them, then `restore -d`.
# Keys: criuz_ckpt_s (the dump and the compression), criuz_bytes (the image directory
# compressed), criuz_asrun_s (the decompression and the restore); the dump and the restore
# alone land in criu_* as in the other cases.  No cold restart: the decompression writes
# the images anew, into the page cache.
criu_zstd_side() {
    local c=$1 t0 t1 dec
    start_workload "$c"
    CHILD_ROOT=$CHILD
    if ! user_checkpoint criu "$c"; then
        add "u$c" criuz_ckpt_s NA
        add "u$c" criuz_asrun_s NA
        rm -rf "$IMG"
        return 0
    fi
    t0=$(now_us)
    if ! zstd -q --fast=50 -T2 --rm "$IMG"/pages-*.img; then
        note "${UCASE_NAME[$c]}, pair $PAIR: zstd of CRIU's page images failed"
        add "u$c" criuz_ckpt_s NA
        add "u$c" criuz_asrun_s NA
        rm -rf "$IMG"
        return 0
    fi
    t1=$(now_us)
    add "u$c" criuz_ckpt_s "$(awk -v d="$(last "u$c" criu_ckpt_s)" -v us=$((t1 - t0)) 'BEGIN { printf "%.3f", d + us / 1e6 }')"
    add "u$c" criuz_bytes "$(du -sb "$IMG" | cut -f1)"
    t0=$(now_us)
    zstd -q -d --rm "$IMG"/pages-*.img.zst
    t1=$(now_us)
    dec=$((t1 - t0))
    user_restart criu "$c" asrun
    local r
    r=$(last "u$c" criu_asrun_s)
    [[ $r == NA ]] && add "u$c" criuz_asrun_s NA ||
        add "u$c" criuz_asrun_s "$(awk -v r="$r" -v us="$dec" 'BEGIN { printf "%.3f", r + us / 1e6 }')"
    rm -rf "$IMG" "$CTX"
}

# zstd(1) for CRIU's side of the compression cases: installed here if it is missing
criu_zstd_ready() {
    command -v zstd >/dev/null && return 0
    ( source "$REPO/scripts/install-build-deps.sh" && install_packages zstd ) >&2 && command -v zstd >/dev/null && return 0
    note "zstd(1) could not be installed: CRIU left out of the compression cases"
    return 1
}

# The compression cases: Cryo without (side cryo) and with --compress (zstd), alternating;
# CRIU with zstd after its dump (side criuz) beside them
if ((RUN_COMPRESS)); then
    "$CR_CHECKPOINT" --help >/dev/null 2>&1 || die "bin/cr_checkpoint does not run: build Cryo first (mvn -B -DskipTests package)"
    if ((WITH_CRIU)) && [[ -z $CRIU_VERSION ]]; then prepare_criu || WITH_CRIU=0; fi
    # The two Cryo sides next to each other, plain first in odd pairs and compressed first in
    # even ones, CRIU's after both: each Cryo side meets, as often as the other, what the last
    # side of the case before left in the host's cache (CRIU's 2 GiB of writes, or dd's), and
    # what the other Cryo side left.  An even number of pairs, so that the two orders are even.
    ZSIDES=(cryo zstd)
    ((WITH_CRIU)) && criu_zstd_ready && ZSIDES+=(criuz)
    ZPAIRS=$PAIRS
    ((QUICK)) || ZPAIRS=$(((PAIRS + 1) / 2 * 2))
    for PAIR in $(seq 1 "$ZPAIRS"); do
        for c in "${ZKEYS[@]}"; do
            order=("${ZSIDES[@]}")
            ((PAIR % 2 == 0)) && order=(zstd cryo "${ZSIDES[@]:2}")
            for side in "${order[@]}"; do
                say "${UCASE_NAME[$c]}: compression pair $PAIR of $ZPAIRS, $side"
                if [[ $side == criuz ]]; then
                    criu_zstd_side "$c"
                else
                    user_side "$side" "$c"
                fi
            done
            user_floor "$c"
            say "  $(for side in cryo zstd; do
                printf '%s: %s bytes, checkpoint %s s, restart %s s (cold %s s); ' "$side" "$(last "u$c" "${side}_bytes")" \
                    "$(last "u$c" "${side}_ckpt_s")" "$(last "u$c" "${side}_asrun_s")" "$(last "u$c" "${side}_cold_s")"
            done)floor: dd read $(last "u$c" dd_read_s) s"
        done
    done
fi

# The incremental and pre-copy cases: scripts/benchmark-incremental.sh, CRIU beside
INC_MD=""
declare -A INC
if ((RUN_INCREMENTAL)); then
    if ((WITH_CRIU)) && [[ -z $CRIU_VERSION ]]; then prepare_criu || WITH_CRIU=0; fi
    inc_args=(--pairs "$PAIRS" --dir "$DIR" --summary "$DIR/incremental.summary")
    ((WITH_CRIU)) || inc_args+=(--no-criu)
    INC_MIB=4096 PRE_MIB=1024
    ((QUICK)) && INC_MIB=1024 PRE_MIB=256
    inc_args+=(--mib-incremental "$INC_MIB" --mib-precopy "$PRE_MIB")
    FILES+=("$DIR/incremental.summary")
    say "the incremental and pre-copy cases (scripts/benchmark-incremental.sh)"
    INC_MD=$(bash scripts/benchmark-incremental.sh "${inc_args[@]}") || die "scripts/benchmark-incremental.sh failed"
    while read -r k v; do INC[$k]=$v; done <"$DIR/incremental.summary"
fi

# ---------------------------------------------------------------------------
# The engine cases
# ---------------------------------------------------------------------------
for RUN in $( ((RUN_ENGINE)) && seq 1 "$RUNS"); do
    for c in $ENGINE_CASES; do
        name=${CASE_NAME[$c]} mib=${CASE_MIB[$c]} pct=${CASE_PCT[$c]}
        say "$name: run $RUN of $RUNS"

        # the workload, our child
        rm -f "$OUT" "$REPORT"
        if [[ ${CASE_KIND[$c]} == tree:* ]]; then
            IFS=: read -r _ nproc nthr <<<"${CASE_KIND[$c]}"
            "$MEMTREE" $((mib / nproc)) "$nproc" "$nthr" "$REPORT" </dev/null >"$OUT" 2>&1 &
        else
            "$MEMHOG" "$mib" "$pct" "$REPORT" </dev/null >"$OUT" 2>&1 &
        fi
        CHILD=$!
        await_ready

        # checkpoint
        sync
        rm -f "$CTX"
        t0=$(now_us)
        set +e
        ck=$("$ENGINE" checkpoint -v -f "$CTX" "$CHILD" 2>&1)
        rc=$?
        set -e
        t1=$(now_us)
        CHILD_TREE=$(descendants "$CHILD" | tr '\n' ' ')
        kill -9 "$CHILD" $CHILD_TREE 2>/dev/null || true
        wait "$CHILD" 2>/dev/null || true
        # the original PIDs must be free before a restore takes them again
        for p in $CHILD_TREE; do
            wait_gone "$p" 120 || note "${CASE_NAME[$c]}, run $RUN: original process $p still in /proc 120 s after kill -9"
        done
        CHILD="" CHILD_TREE=""
        if ((rc != 0)); then
            note "$name, run $RUN: checkpoint failed (exit $rc): $ck"
            for m in ckpt_s frozen_s file_bytes read_direct_s cat_s warm_s warm_mem_ms reuse_s reuse_mem_ms cold_s cold_mem_ms; do add "$c" $m NA; done
        else
            ck_s=$(secs $((t1 - t0)))
            add "$c" ckpt_s "$ck_s"
            add "$c" frozen_s "$(sed -n 's/.*frozen \([0-9.]*\) s.*/\1/p' <<<"$ck")"
            bytes=$(stat -c %s "$CTX")
            add "$c" file_bytes "$bytes"

            # the disk: O_DIRECT read of the context file (bypasses the page cache)
            time_cmd rd dd if="$CTX" of=/dev/null bs=4M iflag=direct
            add "$c" read_direct_s "$rd"

            # warm: the file in the page cache first (timed on its own)
            time_cmd rf cat "$CTX"
            add "$c" cat_s "$rf"
            restore_once warm "$c"
            warm=$LAST_S
            dead=($LAST_PID)

            # warm again, into the memory the first copy just freed (not yet
            # handed back to the host): another PID, as the first is not reaped yet
            restore_once reuse "$c" --no-restore-pid
            reuse=$LAST_S
            dead+=($LAST_PID)
            for p in "${dead[@]}"; do
                wait_gone "$p" 60 || note "restored process $p still in /proc 60 s after kill -9"
            done

            # cold: nothing cached
            cold=skipped
            if ((DROP_OK)); then
                sync
                echo 1 >/proc/sys/vm/drop_caches
                restore_once cold "$c"
                cold=$LAST_S
                for p in $LAST_PID; do
                    wait_gone "$p" 60 || note "restored process $p still in /proc 60 s after kill -9"
                done
            else
                add "$c" cold_s NA
                add "$c" cold_mem_ms NA
            fi
            say "  checkpoint $ck_s s, file $bytes bytes, dd read $rd s, read file $rf s, restore warm $warm s, warm into freed memory $reuse s, cold $cold s"
        fi
        rm -f "$CTX"

        # dd writes of the same bytes (whole 4 MiB blocks)
        bytes=${bytes:-$((mib * 1024 * 1024))}
        count=$(((bytes + 4194303) / 4194304))
        time_cmd dw dd if=/dev/zero of="$DDFILE" bs=4M count="$count" conv=fsync
        rm -f "$DDFILE"
        time_cmd dwd dd if=/dev/zero of="$DDFILE" bs=4M count="$count" oflag=direct conv=fsync
        rm -f "$DDFILE"
        add "$c" dd_fsync_s "$dw"
        add "$c" dd_direct_s "$dwd"
        add "$c" dd_bytes $((count * 4194304))
        say "  dd write $dw s (conv=fsync), $dwd s (oflag=direct)"
        unset bytes
    done
done

# ---------------------------------------------------------------------------
# Figures
# ---------------------------------------------------------------------------
# agg LIST median|min: over the values that are not NA; prints NA if none
agg() {
    tr ' ' '\n' <<<"$1" | awk -v what="$2" '
        $1 != "" && $1 != "NA" { v[n++] = $1 + 0 }
        END {
            if (!n) { print "NA"; exit }
            for (i = 1; i < n; i++) for (j = i; j > 0 && v[j-1] > v[j]; j--) { t = v[j]; v[j] = v[j-1]; v[j-1] = t }
            if (what == "min") print v[0]
            else if (what == "max") print v[n-1]
            else if (n % 2) print v[int(n/2)]
            else print (v[n/2-1] + v[n/2]) / 2
        }'
}
# fmt VALUE DECIMALS
fmt() { [[ $1 == NA ]] && echo "n/a" || awk -v v="$1" -v d="$2" 'BEGIN { printf "%.*f", d, v }'; }
# rate BYTES SECONDS -> GB/s
rate() { [[ $1 == NA || $2 == NA ]] && echo "n/a" || awk -v b="$1" -v s="$2" 'BEGIN { printf (s > 0 ? "%.2f" : "n/a"), b / s / 1e9 }'; }
# med/min pair "0.571 / 0.540"
mm() { echo "$(fmt "$(agg "${R[$1:$2]:-}" median)" 3) / $(fmt "$(agg "${R[$1:$2]:-}" min)" 3)"; }
med() { agg "${R[$1:$2]:-}" median; }
touched_bytes() { awk -v m="${CASE_MIB[$1]}" -v p="${CASE_PCT[$1]}" 'BEGIN { printf "%.0f", int(m * 256 * p / 100 + 0.5) * 4096 }'; }
ratio() { [[ $1 == NA || $2 == NA ]] && echo "n/a" || awk -v a="$1" -v b="$2" 'BEGIN { printf (b > 0 ? "%.2f" : "n/a"), a / b }'; }
ok() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "NA" || b == "NA" || a == "n/a" || b == "n/a") print "n/a"; else print (a + 0 <= b + 0 ? "met" : "**not met**") }'; }

TABLE_CKPT="| Case | Touched | Context file | Checkpoint s (median / min) | GB/s touched | Frozen s | dd conv=fsync s | dd oflag=direct s | Checkpoint / dd direct |
|---|---|---|---|---|---|---|---|---|"
TABLE_REST="| Case | Read file s (cat) | Restore warm s (median / min) | GB/s touched | Warm, freed memory s (median / min) | GB/s touched | Restore cold s (median / min) | GB/s touched | Disk read (dd iflag=direct) GB/s | Cold floor s (file / disk) |
|---|---|---|---|---|---|---|---|---|---|"
for c in $ENGINE_CASES; do
    tb=$(touched_bytes "$c")
    fb=$(med "$c" file_bytes)
    tgib=$(awk -v b="$tb" 'BEGIN { printf "%.2f GiB", b / 1073741824 }')
    fsz=$( [[ $fb == NA ]] && echo n/a || awk -v b="$fb" 'BEGIN { printf "%.2f GiB", b / 1073741824 }')
    ckm=$(med "$c" ckpt_s); ddd=$(med "$c" dd_direct_s)
    TABLE_CKPT+="
| ${CASE_NAME[$c]} | $tgib | $fsz | $(mm "$c" ckpt_s) | $(rate "$tb" "$ckm") | $(fmt "$(med "$c" frozen_s)" 3) | $(mm "$c" dd_fsync_s) | $(mm "$c" dd_direct_s) | $(ratio "$ckm" "$ddd") |"
    rdm=$(med "$c" read_direct_s)
    rdbw=$(rate "$fb" "$rdm")
    floor=$( [[ $rdm == NA ]] && echo n/a || fmt "$rdm" 3)
    TABLE_REST+="
| ${CASE_NAME[$c]} | $(mm "$c" cat_s) | $(mm "$c" warm_s) | $(rate "$tb" "$(med "$c" warm_s)") | $(mm "$c" reuse_s) | $(rate "$tb" "$(med "$c" reuse_s)") | $(mm "$c" cold_s) | $(rate "$tb" "$(med "$c" cold_s)") | $rdbw | $floor |"
done

# per run, for the noise
TABLE_RUNS="| Case | Run | Checkpoint s | Frozen s | dd fsync s | dd direct s | dd read s | Read file s | Warm s (memory phase ms) | Warm, freed memory s (ms) | Cold s (memory phase ms) |
|---|---|---|---|---|---|---|---|---|---|---|"
for c in $ENGINE_CASES; do
    for i in $(seq 1 "$RUNS"); do
        col() { awk -v i="$i" '{ print $i }' <<<"${R[$c:$1]:-}"; }
        TABLE_RUNS+="
| ${CASE_NAME[$c]} | $i | $(col ckpt_s) | $(col frozen_s) | $(col dd_fsync_s) | $(col dd_direct_s) | $(col read_direct_s) | $(col cat_s) | $(col warm_s) ($(col warm_mem_ms)) | $(col reuse_s) ($(col reuse_mem_ms)) | $(col cold_s) ($(col cold_mem_ms)) |"
    done
done

# against the targets (medians)
C1=0 C4=1 C10=2
T10=$(touched_bytes $C10)
# what the 10% case may cost: its touched GiB at the slower per-GiB rate of the
# two fully touched cases
allow() {
    local a b
    a=$(med $C1 "$1"); b=$(med $C4 "$1")
    [[ $a == NA || $b == NA ]] && { echo NA; return; }
    awk -v a="$a" -v b="$b" -v ta="$(touched_bytes $C1)" -v tb="$(touched_bytes $C4)" -v t="$T10" \
        'BEGIN { ra = a / ta; rb = b / tb; printf "%.3f", (ra > rb ? ra : rb) * t }'
}
ck1=$(med $C1 ckpt_s); w1=$(med $C1 warm_s); u1=$(med $C1 reuse_s); co1=$(med $C1 cold_s)
r1=$(ratio "$ck1" "$(med $C1 dd_direct_s)"); r4=$(ratio "$(med $C4 ckpt_s)" "$(med $C4 dd_direct_s)")
f10=$(med $C10 file_bytes)
f10max=$(awk -v t="$T10" 'BEGIN { printf "%.0f", t * 1.01 + 1048576 }')
TABLE_TARGETS="| Target | Measured (median) | |
|---|---|---|
| Checkpoint of 1 GiB <= 0.55 s | $(fmt "$ck1" 3) s | $(ok "$ck1" 0.55) |
| Restart of 1 GiB <= 0.55 s (warm) | $(fmt "$w1" 3) s | $(ok "$w1" 0.55) |
| Restart of 1 GiB <= 0.55 s (warm, freed memory) | $(fmt "$u1" 3) s | $(ok "$u1" 0.55) |
| Restart of 1 GiB <= 0.55 s (cold) | $(fmt "$co1" 3) s | $(ok "$co1" 0.55) |
| Checkpoint <= 1.3 x dd oflag=direct, 1 GiB | ${r1} x | $(ok "$r1" 1.3) |
| Checkpoint <= 1.3 x dd oflag=direct, 4 GiB | ${r4} x | $(ok "$r4" 1.3) |
| 10%-touched: context file <= touched memory (+1%, +1 MiB) | $(fmt "$(awk -v b="$f10" 'BEGIN { print (b == "NA" ? "NA" : b / 1073741824) }')" 3) GiB vs $(fmt "$(awk -v b="$f10max" 'BEGIN { print b / 1073741824 }')" 3) GiB | $(ok "$f10" "$f10max") |
| 10%-touched: checkpoint <= its touched GiB at the fully touched cases' s/GiB | $(fmt "$(med $C10 ckpt_s)" 3) s vs $(fmt "$(allow ckpt_s)" 3) s | $(ok "$(med $C10 ckpt_s)" "$(allow ckpt_s)") |
| 10%-touched: restore (warm) <= the same | $(fmt "$(med $C10 warm_s)" 3) s vs $(fmt "$(allow warm_s)" 3) s | $(ok "$(med $C10 warm_s)" "$(allow warm_s)") |
| 10%-touched: restore (cold) <= the same | $(fmt "$(med $C10 cold_s)" 3) s vs $(fmt "$(allow cold_s)" 3) s | $(ok "$(med $C10 cold_s)" "$(allow cold_s)") |"

# ---------------------------------------------------------------------------
# The user's sequence: tables
# ---------------------------------------------------------------------------
# "median [min-max]" of a metric
rng() {
    local l=${R[$1:$2]:-} m
    m=$(agg "$l" median)
    [[ $m == NA ]] && { echo "n/a"; return; }
    echo "$(fmt "$m" 3) [$(fmt "$(agg "$l" min)" 3)–$(fmt "$(agg "$l" max)" 3)]"
}
# the larger of two figures (NA if either is)
larger() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "NA" || b == "NA") print "NA"; else print (a + 0 > b + 0 ? a : b) }'; }
# the floor under a restart from an image that is (mostly) in the page cache:
# first touch and fill of the touched memory; from disk: the cold read of the image
# into fresh memory beside the restart (it holds both), else the larger of first touch
# and a cold read of the image (beside the restart; else user_floor's read)
restart_floor() {
    local c=$1 pct=$2 touch rd
    touch=$(med "$c" touch_s)
    if [[ $pct != NA ]] && awk -v p="$pct" 'BEGIN { exit !(p >= 50) }'; then
        echo "$touch"
    elif [[ $(med "$c" image_fresh_read_s) != NA ]]; then
        med "$c" image_fresh_read_s
    else
        rd=$(med "$c" image_dd_read_s)
        [[ $rd == NA ]] && rd=$(med "$c" dd_read_s)
        larger "$touch" "$rd"
    fi
}
# pct of the image in the page cache, as "cold"/"warm" words for the table
cache_word() { [[ $1 == NA ]] && echo "n/a" || awk -v p="$1" 'BEGIN { printf "%d%% (%s)", p, (p >= 50 ? "warm" : "cold") }'; }
gib() { [[ $1 == NA ]] && echo "n/a" || awk -v b="$1" 'BEGIN { printf "%.3f", b / 1073741824 }'; }

if ((RUN_USER)); then
    # what "CRIU made durable" costs: its dump plus the sync after it, per pair
    for c in "${!UCASES[@]}"; do
        for side in cryo criu; do
            R[u$c:${side}_ckpt_sync_s]=$(paste -d' ' <(tr ' ' '\n' <<<"${R[u$c:${side}_ckpt_s]:-}" | sed '/^$/d') \
                <(tr ' ' '\n' <<<"${R[u$c:${side}_sync_s]:-}" | sed '/^$/d') 2>/dev/null |
                awk '{ if ($1 == "NA" || $2 == "" || $2 == "NA") printf " NA"; else printf " %.3f", $1 + $2 }')
        done
    done
    UT_CKPT="| Case | Image GiB, Cryo / CRIU | Cryo \`cr_checkpoint --kill\` s | CRIU \`dump\` s | Cryo / CRIU | Floor: dd write, O_DIRECT s | Cryo / floor | CRIU / floor | Made durable (+ \`sync\`): Cryo / CRIU s |
|---|---|---|---|---|---|---|---|---|"
    UT_ASRUN="| Case | Image in page cache, Cryo / CRIU | Cryo \`cr_restart --detach\` s | CRIU \`restore -d\` s | Cryo / CRIU | Floor, Cryo / CRIU s | Cryo / floor | CRIU / floor |
|---|---|---|---|---|---|---|---|"
    UT_COLD="| Case | Image in page cache, Cryo / CRIU | Cryo \`cr_restart --detach\` s | CRIU \`restore -d\` s | Cryo / CRIU | Floor: dd of the image into fresh memory s | Cryo / floor | CRIU / floor | dd of the image, 4 MiB buffer s | Cryo / that | Cryo's memory phase: waiting for data / writing it ms |
|---|---|---|---|---|---|---|---|---|---|---|"
    UT_FLOOR="| Case | Touched GiB | dd write, O_DIRECT + fsync s | dd read, O_DIRECT s | First touch and fill s | memcpy s | Start of a Cryo command (\`cr_checkpoint --help\`) s |
|---|---|---|---|---|---|---|"
    UT_RUNS="| Case | Pair | First | Cryo checkpoint s | CRIU dump s | Cryo restart s (cached %) | CRIU restart s (cached %) | Cryo cold s (rounds) | dd of the image, cold, 4 MiB buffer s | dd of the image, cold, into fresh memory s | CRIU cold s | dd write s | dd read s | first touch s | Cryo command start s |
|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    UT_CHECKS=""
    UT_LAZY="| Case | Cryo \`cr_restart --detach --lazy\`: first instruction ms | every page in s | Cryo full restart s | every page in / full restart | CRIU \`restore -d\` s | Checked |
|---|---|---|---|---|---|---|"
    POLL_GAP_MAX=$(for c in "${!UCASES[@]}"; do echo "${R[u$c:poll_gap_ms]:-}"; done | tr ' ' '\n' | awk '$1 != "" && $1 != "NA" { if ($1 + 0 > m) m = $1 + 0; n++ } END { print (n ? m : "NA") }')
    for c in "${!UCASES[@]}"; do
        k=u$c
        ck=$(med $k cryo_ckpt_s); cr=$(med $k criu_ckpt_s); dw=$(med $k dd_write_s)
        UT_CKPT+="
| ${UCASE_NAME[$c]} | $(gib "$(med $k cryo_bytes)") / $(gib "$(med $k criu_bytes)") | $(rng $k cryo_ckpt_s) | $(rng $k criu_ckpt_s) | $(ratio "$ck" "$cr") | $(rng $k dd_write_s) | $(ratio "$ck" "$dw") | $(ratio "$cr" "$dw") | $(fmt "$(med $k cryo_ckpt_sync_s)" 3) / $(fmt "$(med $k criu_ckpt_sync_s)" 3) |"
        pa=$(med $k cryo_asrun_cached_pct); pb=$(med $k criu_asrun_cached_pct)
        fa=$(restart_floor $k "$pa"); fb=$(restart_floor $k "$pb")
        ra=$(med $k cryo_asrun_s); rb=$(med $k criu_asrun_s)
        UT_ASRUN+="
| ${UCASE_NAME[$c]} | $(cache_word "$pa") / $(cache_word "$pb") | $(rng $k cryo_asrun_s) | $(rng $k criu_asrun_s) | $(ratio "$ra" "$rb") | $(fmt "$fa" 3) / $(fmt "$fb" 3) | $(ratio "$ra" "$fa") | $(ratio "$rb" "$fb") |"
        pa=$(med $k cryo_cold_cached_pct); pb=$(med $k criu_cold_cached_pct)
        fc=$(restart_floor $k 0)
        ra=$(med $k cryo_cold_s); rb=$(med $k criu_cold_s)
        UT_COLD+="
| ${UCASE_NAME[$c]} | $(cache_word "$pa") / $(cache_word "$pb") | $(rng $k cryo_cold_s) | $(rng $k criu_cold_s) | $(ratio "$ra" "$rb") | $(fmt "$fc" 3) | $(ratio "$ra" "$fc") | $(ratio "$rb" "$fc") | $(rng $k image_dd_read_s) | $(ratio "$ra" "$(med $k image_dd_read_s)") | $(fmt "$(med $k cryo_cold_wait_ms)" 0) / $(fmt "$(med $k cryo_cold_write_ms)" 0) |"
        UT_FLOOR+="
| ${UCASE_NAME[$c]} | $(gib "$(utouched_bytes "$c")") | $(rng $k dd_write_s) | $(rng $k dd_read_s) | $(rng $k touch_s) | $(rng $k memcpy_s) | $(rng $k cli_start_s) |"
        for i in $(seq 1 "$PAIRS"); do
            col() { awk -v i="$i" '{ print ($i == "" ? "NA" : $i) }' <<<"${R[$k:$1]:-}"; }
            # the pair's cold rounds, in the order they ran
            rounds() { local v=${R[$k:$1_p$i]:-NA}; v=${v# }; echo "${v// / / }"; }
            first=cryo
            ((i % 2 == 0 && WITH_CRIU)) && first=criu
            UT_RUNS+="
| ${UCASE_NAME[$c]} | $i | $first | $(col cryo_ckpt_s) | $(col criu_ckpt_s) | $(col cryo_asrun_s) ($(col cryo_asrun_cached_pct)) | $(col criu_asrun_s) ($(col criu_asrun_cached_pct)) | $(rounds cryo_cold) | $(rounds image_dd_read) | $(rounds image_fresh_read) | $(col criu_cold_s) | $(col dd_write_s) | $(col dd_read_s) | $(col touch_s) | $(col cli_start_s) |"
        done
        if [[ -n ${R[$k:lazy_all_s]:-} ]]; then
            la=$(med $k lazy_all_s); ra=$(med $k cryo_asrun_s)
            UT_LAZY+="
| ${UCASE_NAME[$c]} | $(rng $k lazy_first_ms) | $(rng $k lazy_all_s) | $(rng $k cryo_asrun_s) | $(ratio "$la" "$ra") | $(rng $k criu_asrun_s) | $(tr ' ' '\n' <<<"${R[$k:lazy_verified]:-}" | grep -c '^1$' || true) of $(tr ' ' '\n' <<<"${R[$k:lazy_verified]:-}" | grep -c . || true) |"
        fi
        passed() { tr ' ' '\n' <<<"${R[$k:$1_verified]:-}" | grep -c '^1$' || true; }
        tried() { tr ' ' '\n' <<<"${R[$k:$1_verified]:-}" | grep -c . || true; }
        UT_CHECKS+="
- ${UCASE_NAME[$c]}: Cryo $(passed cryo) of $(tried cryo), CRIU $(passed criu) of $(tried criu)"
    done
fi

# ---------------------------------------------------------------------------
# Issue 15's targets, from the figures above (each row says which table it comes from)
# ---------------------------------------------------------------------------
# at_least A B: "met" when A >= B
at_least() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "NA" || b == "NA" || a == "n/a" || b == "n/a") print "n/a"; else print (a + 0 >= b + 0 ? "met" : "**not met**") }'; }
inc() { echo "${INC[$1]:-NA}"; }
share() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "NA" || b == "NA" || b <= 0) print "n/a"; else printf "%.2f%%", 100 * a / b }'; }
T15="| Target (issue 15) | Measured (medians of this run) | |
|---|---|---|"
if ((RUN_USER)); then
    ck=$(med u0 cryo_ckpt_s); cr=$(med u0 criu_ckpt_s)
    T15+="
| 1 GiB: \`cr_checkpoint --kill\` <= 0.7x CRIU's \`dump\` (the user's sequence) | Cryo $(fmt "$ck" 3) s / CRIU $(fmt "$cr" 3) s = $(ratio "$ck" "$cr"); made durable (+ \`sync\`) $(fmt "$(med u0 cryo_ckpt_sync_s)" 3) / $(fmt "$(med u0 criu_ckpt_sync_s)" 3) s = $(ratio "$(med u0 cryo_ckpt_sync_s)" "$(med u0 criu_ckpt_sync_s)"); the disk's O_DIRECT write floor $(fmt "$(med u0 dd_write_s)" 3) s | $(ok "$(ratio "$ck" "$cr")" 0.7) |"
    ra=$(med u0 cryo_asrun_s); rb=$(med u0 criu_asrun_s)
    T15+="
| 1 GiB: \`cr_restart --detach\` right after <= 0.7x CRIU's \`restore -d\` | Cryo $(fmt "$ra" 3) s / CRIU $(fmt "$rb" 3) s = $(ratio "$ra" "$rb") | $(ok "$(ratio "$ra" "$rb")" 0.7) |"
    rc=$(med u0 cryo_cold_s); dr=$(med u0 image_dd_read_s); df=$(med u0 image_fresh_read_s)
    T15+="
| 1 GiB: cold restart <= 1.2x the disk's direct-read floor | $(fmt "$rc" 3) s / dd iflag=direct of the same image into fresh memory, cold, beside it $(fmt "$df" 3) s = $(ratio "$rc" "$df"); against the same dd into one 4 MiB buffer $(fmt "$dr" 3) s = $(ratio "$rc" "$dr") (CRIU cold $(fmt "$(med u0 criu_cold_s)" 3) s) | $(ok "$(ratio "$rc" "$df")" 1.2) |"
    lf=$(med u0 lazy_first_ms); la=$(med u0 lazy_all_s)
    T15+="
| 1 GiB lazy restart: first instruction <= 50 ms | $(fmt "$lf" 1) ms | $(ok "$lf" 50) |
| 1 GiB lazy restart: every page in <= a full restart | $(fmt "$la" 3) s / $(fmt "$ra" 3) s = $(ratio "$la" "$ra") (CRIU's full restore $(fmt "$rb" 3) s) | $(ok "$la" "$ra") |"
fi
if ((RUN_INCREMENTAL)); then
    T15+="
| $INC_MIB MiB, 1% written: incremental checkpoint <= 10% of a full one's time | $(fmt "$(inc inc_s)" 3) s / $(fmt "$(inc full_s)" 3) s = $(share "$(inc inc_s)" "$(inc full_s)") (CRIU's full dump of it $(fmt "$(inc criu_full_s)" 3) s; its incremental dump: below) | $(ok "$(ratio "$(inc inc_s)" "$(inc full_s)")" 0.10) |
| $INC_MIB MiB, 1% written: incremental file <= 2% of a full one's size | $(share "$(inc inc_bytes)" "$(inc full_bytes)") of the full file | $(ok "$(awk -v a="$(inc inc_bytes)" -v b="$(inc full_bytes)" 'BEGIN { if (a == "NA" || b == "NA" || b <= 0) print "NA"; else print a / b }')" 0.02) |
| $PRE_MIB MiB writing 1% per 100 ms: \`--pre-copy\` frozen <= 50 ms (every stop) | $(awk -v f="$(inc pre_frozen)" 'BEGIN { if (f == "NA") print "n/a"; else printf "%.1f", f * 1000 }') ms (plain checkpoint $(awk -v f="$(inc plain_frozen)" 'BEGIN { if (f == "NA") print "n/a"; else printf "%.0f", f * 1000 }') ms; CRIU's dump $(awk -v f="$(inc criu_pre_frozen)" 'BEGIN { if (f == "NA") print "n/a"; else printf "%.0f", f * 1000 }') ms) | $(ok "$(inc pre_frozen)" 0.050) |"
fi
if ((RUN_COMPRESS)); then
    # CRIU's figures beside: its dump with zstd after it (criu_zstd_side), against its plain dump
    criuz() {   # criuz KEY: "; CRIU dump + zstd ..." for the targets' rows, or nothing
        local k=$1 what=$2 a b
        [[ -n ${R[$k:criuz_ckpt_s]:-} ]] || return 0
        case $what in
            size) a=$(med "$k" criu_bytes); b=$(med "$k" criuz_bytes)
                  printf ' (CRIU, its page images through zstd after the dump: %sx)' "$(ratio "$a" "$b")" ;;
            ckpt) printf ' (CRIU: dump + zstd %s s, dump alone %s s)' "$(fmt "$(med "$k" criuz_ckpt_s)" 3)" "$(fmt "$(med "$k" criu_ckpt_s)" 3)" ;;
            rest) printf ' (CRIU: zstd -d + restore %s s, restore alone %s s)' "$(fmt "$(med "$k" criuz_asrun_s)" 3)" \
                      "$(fmt "$(med "$k" criu_asrun_s)" 3)" ;;
        esac
    }
    bp=$(med uz0 cryo_bytes); bz=$(med uz0 zstd_bytes)
    cp=$(med uz0 cryo_ckpt_s); cz=$(med uz0 zstd_ckpt_s)
    T15+="
| 1 GiB heat-equation grid: \`--compress\` >= 2x smaller | $(ratio "$bp" "$bz")x$(criuz uz0 size) | $(at_least "$(ratio "$bp" "$bz")" 2) |
| 1 GiB heat-equation grid: compressed checkpoint no slower than plain | $(fmt "$cz" 3) s / $(fmt "$cp" 3) s = $(ratio "$cz" "$cp")$(criuz uz0 ckpt) | $(ok "$(ratio "$cz" "$cp")" 1.00) |"
    if [[ " ${ZKEYS[*]} " == *" z1 "* ]]; then
        cp=$(med uz1 cryo_ckpt_s); cz=$(med uz1 zstd_ckpt_s)
        ap=$(med uz1 cryo_asrun_s); az=$(med uz1 zstd_asrun_s)
        T15+="
| 1 GiB of random data: compressed checkpoint within 5% of plain | $(fmt "$cz" 3) s / $(fmt "$cp" 3) s = $(ratio "$cz" "$cp")$(criuz uz1 ckpt) | $(ok "$(ratio "$cz" "$cp")" 1.05) |
| 1 GiB of random data: compressed restart within 5% of plain | $(fmt "$az" 3) s / $(fmt "$ap" 3) s = $(ratio "$az" "$ap")$(criuz uz1 rest) | $(ok "$(ratio "$az" "$ap")" 1.05) |"
    fi
fi
T15_MD=""
((RUN_USER || RUN_INCREMENTAL || RUN_COMPRESS)) && T15_MD="
## Issue 15's targets

Every target of issue 15, from the tables of this run below (medians; CRIU's figure from the same run).

$T15
"

THP_ENABLED=$(sed 's/.*\[\(.*\)\].*/\1/' /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null || echo unknown)
THP_DEFRAG=$(sed 's/.*\[\(.*\)\].*/\1/' /sys/kernel/mm/transparent_hugepage/defrag 2>/dev/null || echo unknown)
CPU=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
MEMTOTAL=$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
DEV=$(df -P "$DIR" | awk 'NR == 2 { print $1 }')
MOUNTOPTS=$(findmnt -n -o OPTIONS -T "$DIR" 2>/dev/null || echo unknown)
FSNAME=$(findmnt -n -o FSTYPE -T "$DIR" 2>/dev/null || echo "$FSTYPE")
COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
T_END=$(now_us)
ELAPSED=$(awk -v us=$((T_END - T_START)) 'BEGIN { printf "%d min %02d s", us / 6e7, (us / 1e6) % 60 }')

MACHINE="| | |
|---|---|
| CPU | ${CPU:-unknown}, $(nproc) CPUs |
| Memory | $MEMTOTAL |
| Kernel | $(uname -r) |
| Transparent huge pages | enabled: $THP_ENABLED, defrag: $THP_DEFRAG |
| Context file directory | \`$DIR\`: $FSNAME on $DEV ($MOUNTOPTS) |
| memcpy, warm 256 MiB buffers | ${BW[memcpy_gbps]:-n/a} GB/s best, ${BW[memcpy_gbps_median]:-n/a} GB/s median |
| First touch, 4 KiB pages | ${BW[touch_4k_s_per_gib]:-n/a} s/GiB (touch and fill: ${BW[fill_4k_s_per_gib]:-n/a} s/GiB) |
| First touch, MADV_HUGEPAGE | ${BW[touch_thp_s_per_gib]:-n/a} s/GiB (${BW[thp_fraction]:-n/a} of the region in huge pages) |
| Engine commit | $COMMIT |
| CRIU | $( ((WITH_CRIU)) && echo "$CRIU_VERSION (Debian 13's, from the trixie tree, run in the host's root)" || echo "not run") |
| Load (1, 5, 15 min) | at the start $LOAD_START, at the end $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) CPUs) |
| Mode | $( ((QUICK)) && echo "**--quick (a smoke run: not for comparing)**" || echo full) |
| Runs | user's sequence: $( ((RUN_USER)) && echo "$PAIRS pair(s) per case" || echo "not run"); engine cases: $( ((RUN_ENGINE)) && echo "$RUNS runs per case" || echo "not run"); incremental and pre-copy: $( ((RUN_INCREMENTAL)) && echo "$PAIRS pair(s) per case" || echo "not run") (benchmark took $ELAPSED) |"

NOTES_MD=""
if ((${#NOTES[@]})); then
    NOTES_MD=$'\nNotes from this run:\n'
    for n in "${NOTES[@]}"; do NOTES_MD+=$'\n- '"$n"; done
    NOTES_MD+=$'\n'
fi

USER_MD=""
if ((RUN_USER)); then
    USER_MD="
## The user's sequence: Cryo beside CRIU

$PAIRS alternating pair(s) per case (Cryo first in odd pairs, CRIU first in even ones); figures are
median [min–max] of the pairs, ratios are of the medians. Cryo runs through \`bin/cr_checkpoint\` and
\`bin/cr_restart\` (native programs that run the engine in-process: no JVM); CRIU is \`scripts/trixie/criu\`
($CRIU_VERSION). The workload runs in a session of its own. **Checkpoint**: wall-clock time of
\`cr_checkpoint --kill -f FILE PID\` / \`criu dump -t PID -D DIR\` (which also kills), from the start of the
command to its exit; then every PID of the tree is waited for until it is free. **Restart done**: from the
start of \`cr_restart --detach FILE\` / \`criu restore -d -D DIR\` until the command has exited with 0 *and*
every process of the tree runs under its original PID, neither stopped nor a zombie
(\`/proc/PID/stat\`; in this run that was seen at most $POLL_GAP_MAX ms after the command's exit). The
restored tree then checks its memory (SIGUSR1; not timed) and is killed.
*As the user runs it*: right after the checkpoint, with what the checkpoint left in the page cache
(fincore, just before the restart: both write through the page cache, Cryo with fsync before its
command returns, CRIU without). *Cold*: after \`sync; echo 3 > /proc/sys/vm/drop_caches\`, for both.
**Floors** (per pair, same run, same directory): dd of the image's bytes with O_DIRECT (write with
fsync; read back); first touch and fill of the touched memory at the s/GiB that \`cryo-bench-bandwidth 256\`
measured in that pair; memcpy of it. The floor under a checkpoint is the dd write; under a restart from
a warm image (>= 50% cached) first touch and fill; from a cold one, a cold read of the image itself
into fresh memory, as any restore must land it: Cryo's context file, its caches dropped, read by
\`dd iflag=direct\` with one buffer the size of the file (*into fresh memory*). Beside it the same
read into one 4 MiB buffer, the disk alone (*4 MiB buffer*). Each pair runs $COLD_ROUNDS rounds of
Cryo's cold restart and both reads, each round in another of the three orders, since each one meets
what the one before it left in the host's cache and memory. The two reads differ because they
compete on this VM: the host backs the guest's fresh memory with what it would cache the disk's
blocks in, so the 4 MiB read can run at 4 GB/s where nothing that fills 1 GiB of memory can (a
restore, or dd into fresh memory). *Cryo's memory phase*: the engine's own split (\`CRYO_TIMING\`)
of its cold restart's memory phase, per process the slower of its two writers, the milliseconds it
waited for page data against those it spent writing it into the process: waiting marks the disk
as the bound, writing the memory. The read-back of the file of zeros dd has just written is shown
too, but is not the floor: only a read of the same blocks in the same minute bounds the restart.

### Checkpoint

$UT_CKPT

*Made durable*: the checkpoint plus a \`sync\` right after it (Cryo's checkpoint fsyncs its file itself;
CRIU's image is only in the page cache when \`dump\` exits).

### Restart, as the user runs it

$UT_ASRUN

### Restart, caches dropped for both

$UT_COLD

### Lazy restart (\`cr_restart --detach --lazy\`), same file, beside the full restart

After the full restart in odd pairs, before it in even ones.

First instruction: from the command's start until the restored copy ran its
SIGUSR2 handler (queued with \`--signal USR2\`, so the first code it runs),
as the handler's own clock reading tells. Every page in: until the copy's
RssAnon held every touched page (polled every 2 ms; the polls fork nothing, as a
watcher that forked awk and sleep at each poll took 15% of the fill's CPU). Targets: 50 ms, and at most
the full restart's time.

$UT_LAZY

### The floor, and the start of a Cryo command

$UT_FLOOR

Memory checks passed after a restart:
$UT_CHECKS
"
fi
ZSTD_MD=""
if ((RUN_COMPRESS)); then
    ZT="| Case | File GiB, plain / \`--compress\` | Smaller by | Checkpoint, plain s | Checkpoint, \`--compress\` s | Compressed / plain | Restart as run, plain / compressed s | Compressed / plain | Cold restart, plain / compressed s | Compressed / plain | Cold floor: dd read of the plain file, O_DIRECT s | Cold compressed / floor | CRIU, dump + zstd: image GiB (smaller by) | CRIU, dump + zstd s (dump alone) | CRIU, zstd -d + restore s (restore alone) |
|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    ZCHECKS=""
    for c in "${ZKEYS[@]}"; do
        k=u$c
        bp=$(med $k cryo_bytes); bz=$(med $k zstd_bytes)
        cp=$(med $k cryo_ckpt_s); cz=$(med $k zstd_ckpt_s)
        ap=$(med $k cryo_asrun_s); az=$(med $k zstd_asrun_s)
        op=$(med $k cryo_cold_s); oz=$(med $k zstd_cold_s)
        ZT+="
| ${UCASE_NAME[$c]} | $(gib "$bp") / $(gib "$bz") | $(ratio "$bp" "$bz")x | $(rng $k cryo_ckpt_s) | $(rng $k zstd_ckpt_s) | $(ratio "$cz" "$cp") | $(fmt "$ap" 3) / $(fmt "$az" 3) | $(ratio "$az" "$ap") | $(fmt "$op" 3) / $(fmt "$oz" 3) | $(ratio "$oz" "$op") | $(rng $k dd_read_s) | $(ratio "$oz" "$(med $k dd_read_s)") | $(gib "$(med $k criuz_bytes)") ($(ratio "$(med $k criu_bytes)" "$(med $k criuz_bytes)")x) | $(rng $k criuz_ckpt_s) ($(fmt "$(med $k criu_ckpt_s)" 3)) | $(rng $k criuz_asrun_s) ($(fmt "$(med $k criu_asrun_s)" 3)) |"
        ZCHECKS+="
- ${UCASE_NAME[$c]}: plain $(tr ' ' '\n' <<<"${R[$k:cryo_verified]:-}" | grep -c '^1$' || true) of $(wc -w <<<"${R[$k:cryo_verified]:-}"), compressed $(tr ' ' '\n' <<<"${R[$k:zstd_verified]:-}" | grep -c '^1$' || true) of $(wc -w <<<"${R[$k:zstd_verified]:-}")$(
            [[ -n ${R[$k:criuz_ckpt_s]:-} ]] && echo ", CRIU after zstd -d $(tr ' ' '\n' <<<"${R[$k:criu_verified]:-}" | grep -c '^1$' || true) of $(wc -w <<<"${R[$k:criu_verified]:-}")" || true)"
    done
    ZSTD_MD="
## Compression: \`cr_checkpoint --compress\`

${ZPAIRS:-$PAIRS} alternating pair(s) per case (plain first in odd pairs, compressed first in even ones, CRIU after both; an even number of them), the user's
sequence above through Cryo's commands, without and with \`--compress\` (zstd level -50, two threads,
1 MiB blocks, stored raw where they do not shrink); median [min–max], ratios of the medians. The heat-equation
grid is \`native/bench/stencil.c\`: 10 explicit steps of a 5-point stencil on two 8192 x 8192 grids of
doubles, three hot spots on a plate at an ambient temperature (about half the cells still hold it
exactly, the rest a smooth field at full precision). Targets (issue 15): the grid at least 2x smaller
and its checkpoint no slower than plain; random data within 5% of plain. CRIU 4.1 compresses
nothing itself; beside Cryo, in the same pairs, stands what its users do instead: \`dump\`, then
\`zstd --fast=50 -T2\` (Cryo's level and threads) of its page images, and to restart \`zstd -d\`
of them, then \`restore -d\`$( ((WITH_CRIU)) || echo ' (not run: no CRIU in this run)'). At the same zstd level,
Cryo's files are smaller for doubles because each block's bytes are first grouped by their place in
a 64-bit word (a byte shuffle, as Blosc does), which puts the slowly changing exponent bytes together.

$ZT

Memory checks passed after a restart:
$ZCHECKS
"
fi
ENGINE_MD=""
if ((RUN_ENGINE)); then
    ENGINE_MD="
## The engine cases: checkpoint

Seconds are wall-clock time of \`cryo-engine checkpoint -v -f FILE PID\`, median / min of $RUNS runs;
GB/s is touched memory (1 GB = 10^9 bytes) over the median; dd writes the same
number of bytes (whole 4 MiB blocks) to the same directory.

$TABLE_CKPT

## The engine cases: restart

Seconds are wall-clock time of \`cryo-engine restore --detach FILE\`, median / min.
*Warm*: original PID, the context file in the page cache (\`cat\` put it there;
its time is the \"Read file\" column). *Warm, freed memory*: the same again at
once, with \`--no-restore-pid\`, into the memory the first copy just freed.
*Cold*: original PID, after \`echo 1 > /proc/sys/vm/drop_caches\`.

$TABLE_REST

## The engine cases against their own targets (an earlier issue's)

$TABLE_TARGETS
"
fi
RUNS_MD=""
((RUN_USER)) && RUNS_MD+="
$UT_RUNS
"
((RUN_ENGINE)) && RUNS_MD+="
$TABLE_RUNS
"

REPORT_MD="## Machine

$MACHINE
$T15_MD$USER_MD$ZSTD_MD
$INC_MD
$ENGINE_MD$NOTES_MD
<details><summary>Every run</summary>
$RUNS_MD
</details>"

echo "$REPORT_MD"

# ---------------------------------------------------------------------------
# docs/BENCHMARKS.md
# ---------------------------------------------------------------------------
if ((WRITE_DOC)); then
    QUIET_NOTE="the machine was quiet enough (1-minute load $LOAD_START at the start, below the 1.5 this doc asks for on 2 CPUs)"
    awk -v l="${LOAD_START%% *}" 'BEGIN { exit !(l >= 1.5) }' &&
        QUIET_NOTE="**the machine was loaded** (1-minute load $LOAD_START at the start, on 2 CPUs shared with other work): read the ratios, which come from alternating pairs, rather than the seconds"
    ((QUICK)) && QUIET_NOTE="**a smoke run (--quick: one pair, one run): not for comparing**; $QUIET_NOTE"
    cat >docs/BENCHMARKS.md <<EOF
# Benchmarks

How long Cryo takes to checkpoint and to restart a process, measured as a user
runs it and side by side with CRIU in the same run, next to what the machine's
disk and memory allow. Produced by the benchmark command (as root, for CRIU and
for dropping caches):

\`\`\`
bash scripts/benchmark.sh [--pairs N] [--runs N] [--cases all|user|engine|compress|incremental] [--no-criu] [--quick] [--dir DIR] [--write-doc]
\`\`\`

It builds the engine and the benchmark programs (\`make -C native\`; Cryo's Java
build must be there for \`bin/cr_checkpoint\` and \`bin/cr_restart\`), and CRIU
comes from a Debian 13 (trixie) tree under the build directory
(\`scripts/trixie/trixie-tree.sh\`: built once, about 3 minutes, then reused;
\`scripts/trixie/criu\` runs the tree's criu in the host's root, as it must to
dump the host's processes). The workloads: \`native/bench/memhog.c\` maps the
memory, fills the touched part with xorshift random data and waits; for the
tree case \`native/bench/memtree.c\`: a root and 7 children, 8 threads and 256
MiB of such data in each; for the compression cases also
\`native/bench/stencil.c\`, a heat-equation solver's two grids of doubles. Every
restored process checks its own memory (every touched word, a sample of the
untouched ones; the solver: a hash of its grids) before it is killed.

Four parts. **The user's sequence** (issues 15 and 16): \`cr_checkpoint --kill\`,
wait until the PIDs are free, \`cr_restart --detach\`, beside CRIU's \`dump\` and
\`restore -d\` on the same workload, in alternating pairs, each figure also as a
ratio to CRIU's and to the machine's floor from the same run. **The engine
cases** (what this file showed before): \`cryo-engine\` itself, without the
commands around it, warm, warm into freed memory and cold. **Compression**
(issue 15): the user's sequence through Cryo's commands without and with
\`cr_checkpoint --compress\`, alternating. **Incremental checkpoints and pre-copy** (issue 15,
\`scripts/benchmark-incremental.sh\`): a 4 GiB process that writes 1% of its pages between two
\`--incremental\` checkpoints, and a 1 GiB one that writes 1% every 100 ms under \`--pre-copy\`, beside
CRIU's dumps of the same workloads. **Issue 15's targets** come first, each with its figure. Real programs (MPI jobs, LAMMPS,
GROMACS, R, Octave, a JVM, numpy) beside CRIU are in [PROGRAMS.md](PROGRAMS.md)
(\`scripts/bench-programs.sh\`). \`--write-doc\`
rewrites this file; the figures below are from $(date -u +%Y-%m-%d), and
$QUIET_NOTE.

$REPORT_MD

## How to read these figures

- **The user's commands are the engine.** \`cr_checkpoint\` and
  \`cr_restart\` are native programs that run the engine in their own process
  (*Start of a Cryo command*: \`cr_checkpoint --help\`, measured in every
  pair), and a restart verifies the file once, as it loads it, before any
  process runs; the engine cases below time the engine's own commands, so
  the two should agree. CRIU's \`restore\` reads each image once and checks no
  checksum.
- **Page cache.** Cryo writes page data through the page cache, starts its
  writeback chunk by chunk and fsyncs before the command returns, so right
  after a checkpoint its file is both on disk and in memory; CRIU's
  \`dump\` writes through the page cache and does not sync, so its image is
  in memory but not yet durable when \`restore\` runs (the *Image in page
  cache* column measures it with fincore just before each restart). *Caches
  dropped for both* compares the two reading the disk. *Made durable* adds to each checkpoint
  the \`sync\` that would put CRIU's image on disk; that is also why CRIU's
  checkpoint can come in under the dd floor, which waits for the disk.
- **Restart done** is the same moment for both: the command has exited with
  status 0 and every process of the tree runs under its original PID, neither
  stopped nor a zombie. Both commands return only once the tree runs; how
  long after the command's exit the tree was seen running is in the text of
  the user's sequence above.

- **The targets.** A 1 GiB process should checkpoint in at most 0.55 s and
  restart in at most 0.55 s; a checkpoint should take at most 1.3 times what
  \`dd\` takes to write the same bytes to the same directory; and a process
  that maps 4 GiB but touched only 10% of it should cost no more than its
  touched memory: its context file should hold about 0.4 GiB, not 4, and its
  checkpoint and restart should take no longer than 0.4 GiB at the per-GiB
  time of the slower of the two fully touched cases (a small fixed cost, of
  ptrace and of the files, weighs more on a small process). CRIU's figures
  are in the user's sequence above, from the same run.
- **Checkpoint vs dd.** The checkpoint writes page data through the page
  cache and fsyncs the file and its directory before it returns, so the fair
  comparison is \`dd conv=fsync\`; \`dd oflag=direct conv=fsync\` (the disk
  alone) is shown too. *Frozen* is how long the process was stopped (from the
  engine's \`-v\` line); the default leave-running checkpoint lets the
  process go once all its state is in the file, before the fsync, so the
  disk's writing is not frozen time (a checkpoint that ends the process keeps
  it frozen until the file is durable).
- **\`--kill\` checkpoint against CRIU's dump.** Both write the image into the
  page cache while the job still holds its memory, so the machine needs as much
  memory again as the job has, and on this VM that memory has mostly gone back
  to the host (see *First touch*): a buffered 1 GiB \`dd\` here took 0.37 s
  right after 1 GiB was freed, 1.2 s three seconds later and 1.5 s six seconds
  later, against 0.53 s with \`oflag=direct\` (2026-12-04, by hand). That
  cost, not the engine's work, is most of both checkpoints' time in the user's
  sequence, so the two come out alike. Writing with O_DIRECT would take Cryo's
  checkpoint to the direct floor but leave the file on the disk only, and the
  restart right after, which finds the file in the page cache now, would read the
  disk instead (the *cold* figures); the page cache is kept for that restart.
- **First touch.** Every page a restore fills is a page fault in fresh
  memory. This VM hands freed memory back to its host (after a second or
  two), and the first touch of memory the host must supply again costs far
  more than on bare metal (see *First touch* in the machine table; it varies
  between roughly 0.2 and 3 s/GiB with the host's load). Touched GiB times
  that figure is a floor under a restore that uses 4 KiB pages; transparent
  huge pages (\`madvise\` mode here) can lower it. This is why the three
  restores differ so much: *warm* comes after \`cat\` has taken the file's
  size in fresh page cache and must fault in as much again from the host;
  *warm, freed memory* runs at once into the pages the warm copy just freed,
  so it shows what the engine itself costs; *cold* follows
  \`drop_caches\`, which has just freed the page cache, so it too finds its
  memory in the guest and pays the disk instead. On bare metal, or a VM
  without free page reporting, expect *warm* near *warm, freed memory*. The
  engine's own memory phase (CRYO_TIMING=1) is in the per-run table.
- **Cold restore** has to read the context file from disk: the file size over
  the disk's read bandwidth (*Cold floor*, from \`dd iflag=direct\` of the same
  file) bounds it from below, about 1 GB/s on this VM. *Read file* is the
  same read through the page cache (\`cat\`), which also pays for first touch
  of the page cache's own pages.
- **Memory bandwidth.** A warm restore copies every page once from the page
  cache; at the memcpy figure above that part is small next to first touch.
- **Compression** costs CPU where plain page data costs disk: the checkpoint
  compresses on two threads while it reads the memory, the restart checks and
  decompresses in the two threads that write the pages. On a 2-CPU machine
  shared with other work it is the CPU that runs out, so the default level is
  zstd's fast -50 on 1 MiB blocks, byte-shuffled with SSE2: the grid's
  checkpoint then takes about as much CPU as plain (1.35 against 1.21 CPU
  seconds per GiB, measured with \`/usr/bin/time\`; 1.78 at level -5, 2.12 at
  -1) for a file 4.8x smaller, and the restart decompresses on both of the
  threads that write the pages. Random data is stored raw after a 64 KiB
  sample, so it costs about as much as plain.
EOF
    say "wrote docs/BENCHMARKS.md"
fi
say "done in $ELAPSED"
