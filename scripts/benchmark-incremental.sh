#!/usr/bin/env bash
# The incremental and pre-copy cases of the benchmark (issue 15), run by
# `scripts/benchmark.sh` (all cases, or `--cases incremental`) or on their own:
#
#   bash scripts/benchmark-incremental.sh [--pairs N] [--no-criu] [--dir DIR] [--summary FILE]
#                                         [--mib-incremental N] [--mib-precopy N]
#
# Incremental: a process holding 4 GiB (native/tests/programs/mem_writer.c:
# every page filled, no two alike) is checkpointed in full (plain
# `cr_checkpoint`), then with `--incremental` (a full file that arms the
# write tracker), then made to write 1% of its pages (SIGUSR1), then
# checkpointed with `--incremental` again: its time and file size beside the
# full one's.  CRIU beside it, on a fresh copy of the same workload: its
# incremental dump (`pre-dump`, then `dump --prev-images-dir`) needs the
# kernel's soft-dirty bits; where it fails, what it said is reported and its
# full `dump --leave-running` is the figure beside Cryo's.
# Pre-copy: a process holding 1 GiB that writes 1% of its pages every 100 ms
# is checkpointed with `--pre-copy` (default rounds) and, for comparison,
# plainly; the frozen time comes from each one's `-v` lines, and counts
# every stop of the job, each round's too.  CRIU beside it: its frozen time
# from `dump --leave-running --display-stats` ("Frozen time") on a fresh copy.
# N pairs (default 3), the order of the sides alternating; medians and
# [min-max].  Figures, not timed tests.  Markdown on stdout, progress on
# stderr; --summary FILE also writes the medians as KEY VALUE lines (for
# benchmark.sh's table of targets).  Every file it makes is removed at the
# end, every process it starts is killed.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
REPO=$PWD
DIR=$REPO/target/bench-incremental
MIB_INC=4096
MIB_PRE=1024
PAIRS=3
WITH_CRIU=1
SUMMARY=
usage() { sed -n '5,6p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 1; }
while (($#)); do
    case $1 in
        --dir) DIR=${2:?}; shift 2 ;;
        --pairs) [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || usage; PAIRS=$2; shift 2 ;;
        --no-criu) WITH_CRIU=0; shift ;;
        --summary) SUMMARY=${2:?}; shift 2 ;;
        --mib-incremental) [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || usage; MIB_INC=$2; shift 2 ;;
        --mib-precopy) [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || usage; MIB_PRE=$2; shift 2 ;;
        *) usage ;;
    esac
done
BIN=$REPO/native/target/bin
WRITER=$REPO/native/target/test-programs/mem_writer
CRIU=$REPO/scripts/trixie/criu
[[ -x $BIN/cr_checkpoint && -x $WRITER ]] || { echo "build first: make -C native" >&2; exit 1; }
mkdir -p "$DIR"
WORK=$(mktemp -d "$DIR/run.XXXXXX")
PID=
cleanup() {
    [[ -n $PID ]] && kill -9 "$PID" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
say() { echo "benchmark-incremental: $*" >&2; }
die() { say "$*"; exit 1; }
now_us() { echo "${EPOCHREALTIME/./}"; }
NOTES=()
note() { NOTES+=("$*"); say "note: $*"; }

if ((WITH_CRIU)); then
    if ((EUID != 0)); then
        note "not root: CRIU left out"; WITH_CRIU=0
    elif ! "$CRIU" --version >/dev/null 2>&1; then
        note "no trixie tree (scripts/trixie/trixie-tree.sh): CRIU left out"; WITH_CRIU=0
    fi
fi

# R[key] is a space-separated list of one value per pair
declare -A R
add() { R[$1]="${R[$1]:-} $2"; }

start_writer() {    # MIB PER_MILLE EVERY_MS
    rm -f "$WORK/go" "$WORK/out"
    # only stdin, stdout and stderr: a pipe of whoever runs the benchmark would be refused
    (for fd in $(ls /proc/$BASHPID/fd); do ((fd > 2)) && eval "exec $fd>&-"; done
     setsid "$WRITER" "$WORK/go" "$@" >"$WORK/out" 2>&1 </dev/null &)
    for _ in $(seq 1 600); do grep -q '^READY' "$WORK/out" 2>/dev/null && break; sleep 0.1; done
    PID=$(awk '/^READY/ { print $2 }' "$WORK/out")
    [[ -n $PID ]] || die "the writer did not start: $(head -c 300 "$WORK/out")"
}
stop_writer() {
    [[ -n $PID ]] || return 0
    kill -9 "$PID" 2>/dev/null || true
    while [[ -e /proc/$PID ]] && [[ $(awk '{ print $3 }' /proc/$PID/stat 2>/dev/null) != Z ]]; do sleep 0.02; done
    PID=
}
# the writer writes 1% more (SIGUSR1) and says so
write_one_percent() {
    local before
    before=$(grep -c '^WROTE' "$WORK/out" || true)
    kill -USR1 "$PID"
    for _ in $(seq 1 600); do
        (($(grep -c '^WROTE' "$WORK/out" || true) > before)) && return 0
        sleep 0.05
    done
    die "the writer did not write its 1%"
}

# checkpoint ARGS...: prints "seconds frozen_s file_bytes" of one cr_checkpoint -v.
# Frozen: the sum of every "frozen, in all" line (each pre-copy round's stop and the last one)
checkpoint() {
    local t0 t1 out
    t0=$(now_us)
    out=$("$BIN/cr_checkpoint" -v "$@" 2>&1) || die "cr_checkpoint $*: $(tail -n 3 <<<"$out")"
    t1=$(now_us)
    printf '%s\n' "$out" >"$WORK/last-v"     # its phase lines, for the breakdown
    awk -v us=$((t1 - t0)) '
        / frozen, in all / { frozen += $(NF - 1) / 1000; stops++ }
        /checkpointed/ { for (i = 1; i <= NF; i++) if ($i == "bytes") { size = $(i - 1); sub(/^.*: /, "", size) } }
        END { printf "%.3f %.4f %s %d\n", us / 1e6, frozen, size, stops }' "$WORK/last-v"
}

# criu_dump DIR ARGS...: prints "seconds frozen_s image_bytes" of one criu dump --leave-running
criu_dump() {
    local img=$1 t0 t1 rc; shift
    rm -rf "$img"; mkdir -p "$img"
    t0=$(now_us)
    set +e
    "$CRIU" dump --leave-running --display-stats -t "$PID" -D "$img" -o dump.log "$@" >"$WORK/criu-stats" 2>&1 </dev/null
    rc=$?
    set -e
    t1=$(now_us)
    ((rc == 0)) || die "criu dump of $PID failed (exit $rc): $(grep -m 2 Error "$img/dump.log" | tr '\n' ' ')"
    awk -v us=$((t1 - t0)) -v bytes="$(du -sb "$img" | cut -f1)" '
        /^Frozen time:/ { frozen = $3 / 1e6 }
        END { printf "%.3f %.4f %s\n", us / 1e6, frozen, bytes }' "$WORK/criu-stats"
    rm -rf "$img"
}

# CRIU's incremental dump, tried once: what it says when the kernel lacks soft-dirty
CRIU_INCREMENTAL="not tried"
try_criu_incremental() {
    local rc why
    rm -rf "$WORK/pre"; mkdir -p "$WORK/pre"
    set +e
    # in braces: bash's own "Aborted" line for the SIGABRT below goes where the group's stderr does
    { "$CRIU" pre-dump -t "$PID" -D "$WORK/pre" -o pre.log >/dev/null </dev/null; } 2>/dev/null
    rc=$?
    set -e
    if ((rc == 0)); then
        CRIU_INCREMENTAL="works (pre-dump exit 0)"
    else
        # its last error, or the BUG it aborted on (CRIU asserts soft-dirty: BUG_ON(!kdat.has_dirty_track))
        why=$( { grep -m 1 'BUG' "$WORK/pre/pre.log" || grep 'Error' "$WORK/pre/pre.log" | tail -n 1; } 2>/dev/null |
              sed 's/^([0-9.]*) //; s/[`|]//g' | head -c 200)
        CRIU_INCREMENTAL="\`criu pre-dump\` failed (exit $rc: ${why:-no error logged})"
    fi
    rm -rf "$WORK/pre"
}

incremental_pair() {
    local first=$1 side s f b n
    for side in $first $([[ $first == cryo ]] && echo criu || echo cryo); do
        ((WITH_CRIU)) || [[ $side == cryo ]] || continue
        start_writer "$MIB_INC" 10 0
        if [[ $side == criu ]]; then
            [[ $CRIU_INCREMENTAL == "not tried" ]] && try_criu_incremental
            write_one_percent
            read -r s f b < <(criu_dump "$WORK/criu")
            add criu_full_s "$s"; add criu_full_bytes "$b"
        else
            read -r s f b n < <(checkpoint -f "$WORK/full.cryo" "$PID")
            add full_s "$s"; add full_frozen "$f"; add full_bytes "$b"
            rm -f "$WORK/full.cryo"
            read -r s f b n < <(checkpoint --incremental -f "$WORK/inc.cryo" "$PID")
            add first_s "$s"; add first_bytes "$b"
            write_one_percent
            read -r s f b n < <(checkpoint --incremental -f "$WORK/inc.cryo" "$PID")
            add inc_s "$s"; add inc_frozen "$f"; add inc_bytes "$b"
            rm -f "$WORK"/inc.cryo*
        fi
        stop_writer
    done
}

PRE_PHASES=""
precopy_pair() {
    local first=$1 side s f b n
    for side in $first $([[ $first == cryo ]] && echo criu || echo cryo); do
        ((WITH_CRIU)) || [[ $side == cryo ]] || continue
        start_writer "$MIB_PRE" 10 100
        if [[ $side == criu ]]; then
            read -r s f b < <(criu_dump "$WORK/criu")
            add criu_pre_s "$s"; add criu_pre_frozen "$f"
        else
            read -r s f b n < <(checkpoint -f "$WORK/plain.cryo" "$PID")
            add plain_s "$s"; add plain_frozen "$f"
            rm -f "$WORK/plain.cryo"
            read -r s f b n < <(checkpoint --pre-copy -f "$WORK/pre.cryo" "$PID")
            add pre_s "$s"; add pre_frozen "$f"; add pre_bytes "$b"; add pre_stops "$n"
            rm -f "$WORK"/pre.cryo*
            # the last pair's stops: each round's frozen time and what it copied while the job ran,
            # then the last stop phase by phase
            PRE_PHASES=$(awk '$NF == "ms" && /^cryo: / {
                line = $0; sub(/^cryo: [0-9]+ /, "", line); ms = $(NF - 1); sub(/ +[0-9.]+ ms$/, "", line)
                if (line ~ /^pre-copy round: /) {
                    if (line ~ /frozen, in all/) { r++; frozen[r] = ms }
                    else if (line ~ /: pages$/) pages[r] = ms
                } else if (line ~ /^incremental: /) { sub(/^incremental: /, "", line); last = last sprintf("| last stop: %s | %s |\n", line, ms) }
            }
            END {
                for (i = 1; i <= r; i++) printf "| round %d: frozen, in all (then its pages copied while the job ran: %s ms) | %s |\n", i, pages[i], frozen[i]
                printf "%s", last
            }' "$WORK/last-v")
        fi
        stop_writer
    done
}

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
for ((p = 1; p <= PAIRS; p++)); do
    first=cryo; ((p % 2 == 0)) && first=criu
    say "pair $p of $PAIRS: incremental, ${MIB_INC} MiB writer ($first first)"
    incremental_pair $first
    say "pair $p of $PAIRS: pre-copy, ${MIB_PRE} MiB writer, 1% every 100 ms ($first first)"
    precopy_pair $first
done
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)

med() { tr ' ' '\n' <<<"${R[$1]:-}" | grep . | sort -g | awk '{ v[NR] = $1 } END { if (!NR) print "NA"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.4f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
rng() {   # median [min-max], DIGITS decimals
    tr ' ' '\n' <<<"${R[$1]:-}" | grep . | sort -g | awk -v d="${2:-3}" '{ v[NR] = $1 }
        END { if (!NR) { print "n/a"; exit }
              m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
              printf "%.*f [%.*f–%.*f]", d, m, d, v[1], d, v[NR] }'
}
ms() { tr ' ' '\n' <<<"${R[$1]:-}" | grep . | sort -g | awk '{ v[NR] = $1 * 1000 }
        END { if (!NR) { print "n/a"; exit }
              m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
              printf "%.1f [%.1f–%.1f]", m, v[1], v[NR] }'; }
gib() { awk -v b="$1" 'BEGIN { if (b == "NA") print "n/a"; else printf "%.4f", b / 1073741824 }'; }
pct() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "NA" && b != "NA" && b > 0) printf "%.1f%%", 100 * a / b; else printf "n/a" }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "NA" && b != "NA" && b > 0) printf "%.2f", a / b; else printf "n/a" }'; }

if [[ -n $SUMMARY ]]; then
    for k in full_s full_bytes inc_s inc_bytes inc_frozen criu_full_s plain_frozen pre_frozen pre_s criu_pre_frozen; do
        echo "$k $(med $k)"
    done >"$SUMMARY"
fi

cat <<EOF
## Incremental checkpoints and pre-copy

$PAIRS pair(s) per case, Cryo and CRIU alternating which goes first (load $LOAD_START at the start,
$LOAD_END at the end, $(nproc) CPUs); median [min–max]. The workload is
\`native/tests/programs/mem_writer.c\`: every page filled, none alike, 1% of them rewritten on SIGUSR1
(incremental) or every 100 ms (pre-copy), each page checkable against a log of what it must hold. Cryo runs
\`bin/cr_checkpoint -v\` (its frozen time is the sum of the "frozen, in all" lines: every stop of the job,
each pre-copy round's too); CRIU runs \`dump --leave-running --display-stats\` ("Frozen time") on a fresh
copy of the same workload. CRIU's incremental dump on this kernel: $CRIU_INCREMENTAL; so beside Cryo's
incremental checkpoint stands CRIU's full dump of the same process after the same 1% write.
Targets (issue 15): the incremental checkpoint at most 10% of a full one's time and its file at most 2% of
a full one's size; pre-copy frozen at most 50 ms.

| Case | Cryo s | Cryo frozen ms | Cryo file GiB | CRIU s | CRIU frozen ms | CRIU image GiB | Against Cryo's full checkpoint |
|---|---|---|---|---|---|---|---|
| ${MIB_INC} MiB, full checkpoint (\`cr_checkpoint\`) | $(rng full_s) | $(ms full_frozen) | $(gib "$(med full_bytes)") | $(rng criu_full_s) | | $(gib "$(med criu_full_bytes)") | |
| ${MIB_INC} MiB, first \`--incremental\` (a full file; arms the tracker) | $(rng first_s) | | $(gib "$(med first_bytes)") | | | | |
| ${MIB_INC} MiB, \`--incremental\` after 1% of its pages written (CRIU: a full dump) | $(rng inc_s) | $(ms inc_frozen) | $(gib "$(med inc_bytes)") | $(rng criu_full_s) | | $(gib "$(med criu_full_bytes)") | time $(pct "$(med inc_s)" "$(med full_s)"), size $(pct "$(med inc_bytes)" "$(med full_bytes)"); Cryo / CRIU time $(ratio "$(med inc_s)" "$(med criu_full_s)") |
| ${MIB_PRE} MiB writing 1% per 100 ms, plain checkpoint (CRIU: \`dump\`) | $(rng plain_s) | $(ms plain_frozen) | | $(rng criu_pre_s) | $(ms criu_pre_frozen) | | |
| ${MIB_PRE} MiB writing 1% per 100 ms, \`--pre-copy\` ($(printf %.0f "$(med pre_stops)") stop(s) of the job) | $(rng pre_s) | $(ms pre_frozen) | $(gib "$(med pre_bytes)") | | | | frozen $(pct "$(med pre_frozen)" "$(med plain_frozen)") of plain; Cryo / CRIU frozen $(ratio "$(med pre_frozen)" "$(med criu_pre_frozen)") |

Where the pre-copy's frozen time goes, stop by stop (\`cr_checkpoint -v\`, the last pair):

| phase | ms |
|---|---|
${PRE_PHASES}
EOF
if ((${#NOTES[@]})); then
    echo
    for n in "${NOTES[@]}"; do echo "- $n"; done
fi
