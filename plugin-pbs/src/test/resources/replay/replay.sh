#!/bin/sh
# replay.sh TABLE NAME ARGS...: answers a PBS client call with an output recorded from a real
# OpenPBS 23.06.06 (stdout, stderr and exit status as recorded), chosen by the recorded command
# line.  TABLE rows: COMMAND LINE <tab> STDOUT FILE <tab> STDERR FILE <tab> STATUS <tab> AFTER
# ("-": none).  A row with AFTER (a command line) answers only once that call was made: the
# server's state after a qhold is another recording.  The last row that applies answers.  Every
# call is appended to TABLE.calls; a call nobody recorded exits 99 and says so.
table=$1
shift
line="$*"
tab=$(printf '\t')
out= err= rc=
while IFS="$tab" read -r cmd o e s after; do
    [ "$cmd" = "$line" ] || continue
    if [ "$after" != - ] && ! grep -qxF -- "$after" "$table.calls"; then
        continue
    fi
    out=$o err=$e rc=$s
done <"$table"
printf '%s\n' "$line" >>"$table.calls"
if [ -z "$rc" ]; then
    echo "replay: no recording for: $line" >&2
    exit 99
fi
[ "$out" = - ] || cat "$out"
[ "$err" = - ] || cat "$err" >&2
exit "$rc"
