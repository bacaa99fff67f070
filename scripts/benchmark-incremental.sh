#!/usr/bin/env bash
# The incremental and pre-copy cases of the benchmark (issue 15), run by
# `scripts/benchmark.sh --cases incremental` or on their own:
#
#   bash scripts/benchmark-incremental.sh [--dir DIR] [--mib-incremental N] [--mib-precopy N]
#
# Incremental: a process holding 4 GiB (native/tests/programs/mem_writer.c:
# every page filled, no two alike) is checkpointed in full (plain
# `cr_checkpoint`), then with `--incremental` (a full file that arms the
# write tracker), then made to write 1% of its pages (SIGUSR1), then
# checkpointed with `--incremental` again: its time and file size beside the
# full one's.  Pre-copy: a process holding 1 GiB that writes 1% of its pages
# every 100 ms is checkpointed with `--pre-copy` (default rounds) and, for
# comparison, plainly; the frozen time comes from each one's `-v` line.
# Figures, not timed tests.  Markdown on stdout, progress on stderr; every
# file it makes is removed at the end.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
REPO=$PWD
DIR=$REPO/target/bench-incremental
MIB_INC=4096
MIB_PRE=1024
while (($#)); do
    case $1 in
        --dir) DIR=$2; shift 2 ;;
        --mib-incremental) MIB_INC=$2; shift 2 ;;
        --mib-precopy) MIB_PRE=$2; shift 2 ;;
        *) sed -n '5,6p' "$0" >&2; exit 1 ;;
    esac
done
BIN=$REPO/native/target/bin
WRITER=$REPO/native/target/test-programs/mem_writer
[[ -x $BIN/cr_checkpoint && -x $WRITER ]] || { echo "build first: make -C native" >&2; exit 1; }
mkdir -p "$DIR"
WORK=$(mktemp -d "$DIR/run.XXXXXX")
PID=
cleanup() {
    [[ -n $PID ]] && kill -9 "$PID" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM
say() { echo "benchmark-incremental: $*" >&2; }
now_us() { echo "${EPOCHREALTIME/./}"; }

start_writer() {    # MIB PER_MILLE EVERY_MS
    rm -f "$WORK/go" "$WORK/out"
    # only stdin, stdout and stderr: a pipe of whoever runs the benchmark would be refused
    (for fd in $(ls /proc/$BASHPID/fd); do ((fd > 2)) && eval "exec $fd>&-"; done
     setsid "$WRITER" "$WORK/go" "$@" >"$WORK/out" 2>&1 </dev/null &)
    for _ in $(seq 1 600); do grep -q '^READY' "$WORK/out" 2>/dev/null && break; sleep 0.1; done
    PID=$(awk '/^READY/ { print $2 }' "$WORK/out")
    [[ -n $PID ]] || { say "the writer did not start"; exit 1; }
}
stop_writer() { kill -9 "$PID" 2>/dev/null || true; PID=; }
# checkpoint ARGS...: prints "seconds frozen_s file_bytes" of one cr_checkpoint -v
checkpoint() {
    local t0 t1 line
    t0=$(now_us)
    line=$("$BIN/cr_checkpoint" -v "$@" 2>&1) || { say "cr_checkpoint $*: $line"; exit 1; }
    printf '%s\n' "$line" >"$WORK/last-v"     # its phase lines, for the breakdown
    line=$(grep 'checkpointed' <<<"$line" | tail -1)
    t1=$(now_us)
    awk -v us=$((t1 - t0)) -v l="$line" 'BEGIN {
        n = split(l, w, " "); size = 0; frozen = 0
        for (i = 1; i <= n; i++) { if (w[i] == "bytes") size = w[i - 1]; if (w[i] == "frozen") frozen = w[i + 1] }
        sub(/^.*: /, "", size); printf "%.3f %.3f %s\n", us / 1e6, frozen, size }'
}

say "incremental: a ${MIB_INC} MiB writer"
start_writer "$MIB_INC" 10 0
read -r full_s full_frozen full_size < <(checkpoint -f "$WORK/full.cryo" "$PID")
rm -f "$WORK/full.cryo"
read -r first_s _ first_size < <(checkpoint --incremental -f "$WORK/inc.cryo" "$PID")
kill -USR1 "$PID"
for _ in $(seq 1 600); do grep -q '^WROTE 1' "$WORK/out" && break; sleep 0.1; done
read -r inc_s inc_frozen inc_size < <(checkpoint --incremental -f "$WORK/inc.cryo" "$PID")
stop_writer
rm -f "$WORK"/inc.cryo*

say "pre-copy: a ${MIB_PRE} MiB writer, 1% every 100 ms"
start_writer "$MIB_PRE" 10 100
read -r plain_s plain_frozen _ < <(checkpoint -f "$WORK/plain.cryo" "$PID")
rm -f "$WORK/plain.cryo"
read -r pre_s pre_frozen pre_size < <(checkpoint --pre-copy -f "$WORK/pre.cryo" "$PID")
stop_writer
# the frozen checkpoint at the end of the pre-copy ("incremental:" on the last round), phase by phase
pre_phases=$(awk '$3 == "incremental:" && $NF == "ms" {
    name = ""; for (i = 4; i < NF - 1; i++) name = name (name ? " " : "") $i
    printf "| %s | %s |\n", name, $(NF - 1) }' "$WORK/last-v")

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f%%", 100 * a / b; else printf "n/a" }'; }
cat <<EOF2
### Incremental checkpoints and pre-copy ($(date -u +%Y-%m-%d), $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg))

| case | time | frozen | file | vs full |
|---|---|---|---|---|
| ${MIB_INC} MiB, full checkpoint (\`cr_checkpoint\`) | ${full_s} s | ${full_frozen} s | ${full_size} B | |
| ${MIB_INC} MiB, first \`--incremental\` (full, arms the tracker) | ${first_s} s | | ${first_size} B | |
| ${MIB_INC} MiB, \`--incremental\` after 1% of pages written | ${inc_s} s | ${inc_frozen} s | ${inc_size} B | time $(ratio "$inc_s" "$full_s"), size $(ratio "$inc_size" "$full_size") (targets 10%, 2%) |
| ${MIB_PRE} MiB writing 1%/100 ms, plain checkpoint | ${plain_s} s | ${plain_frozen} s | | |
| ${MIB_PRE} MiB writing 1%/100 ms, \`--pre-copy\` | ${pre_s} s | ${pre_frozen} s | ${pre_size} B | frozen $(ratio "$pre_frozen" "$plain_frozen") of plain (target 0.050 s) |
EOF2
cat <<EOF2

Where the pre-copy's frozen time goes (\`cr_checkpoint -v\`: the last, frozen checkpoint):

| phase | ms |
|---|---|
${pre_phases}
EOF2
