#!/bin/sh
# replay.sh TABLE NAME ARGS...: answers a PBS client call with an output recorded from a real
# OpenPBS 23.06.06 (stdout, stderr and exit status as recorded), chosen by the recorded command
# line.  TABLE rows: COMMAND LINE <tab> STDOUT FILE <tab> STDERR FILE <tab> STATUS ("-": none).
# The n-th call of a command line gets its n-th row, later calls the last one; every call is
# appended to TABLE.calls.  A call nobody recorded exits 99 and says so.
table=$1
shift
line="$*"
tab=$(printf '\t')
k=$(grep -cxF -- "$line" "$table.calls" 2>/dev/null)
k=${k:-0}
printf '%s\n' "$line" >>"$table.calls"
i=0 out= err= rc=
while IFS="$tab" read -r cmd o e s; do
    [ "$cmd" = "$line" ] || continue
    out=$o err=$e rc=$s
    [ $i -ge "$k" ] && break
    i=$((i + 1))
done <"$table"
if [ -z "$rc" ]; then
    echo "replay: no recording for: $line" >&2
    exit 99
fi
[ "$out" = - ] || cat "$out"
[ "$err" = - ] || cat "$err" >&2
exit "$rc"
