#!/usr/bin/env bash
# sge-verify.sh - smoke test of the cluster sge-up.sh started: a job on each host, qhold/qrls
# and qmod -sj/-usj on a running job (its process really stops and continues), a checkpointable
# job (-ckpt ckpt_app -r y) migrated by qmod -sj from node2 to this host (migr hook called,
# rerun with RESTARTED=2 on the other host), and a DRMAA Java submit + wait.  Prints timings;
# exits non-zero with a one-line reason on the first failure (details in the file it names).
# Deletes its jobs and re-enables the queues whatever happens.  Must run as root.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")"
source ./common.sh
cd /

[[ -r $ENV_FILE ]] || { echo "sge-verify: FAIL: the Grid Engine test cluster is not up ($ENV_FILE missing; run sge-up.sh)" >&2; exit 1; }
source "$ENV_FILE"
W=$(mktemp -d "$CRYO_SGE_JOBS_DIR/verify.XXXXXX")
JOBS=()

fail() {
    { qstat -f -u '*'; for j in "${JOBS[@]}"; do qstat -j "$j"; done; } > "$W/failure.txt" 2>&1 || true
    echo "sge-verify: FAIL: $* (details: $W/failure.txt)" >&2
    exit 1
}

cleanup() {
    local rc=$? j
    set +e
    ((${#JOBS[@]})) && qdel "${JOBS[@]}" >/dev/null 2>&1
    for j in "${JOBS[@]}"; do wait_for 30 job_gone "$j" || qdel -f "$j" >/dev/null 2>&1; done
    qmod -e "all.q@$CRYO_SGE_HEAD_HOST" "all.q@$CRYO_SGE_NODE2" >/dev/null 2>&1
    (( rc != 0 )) || rm -rf "$W"
}
trap cleanup EXIT

# seconds since $1 (an $EPOCHREALTIME)
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.1f", b - a}'; }

# submit QSUB-ARGS...: qsub; the job's id goes to $ID and to JOBS (for the cleanup)
submit() {
    ID=$(qsub -terse "$@") || fail "qsub $* refused"
    JOBS+=("$ID")
}

job_field() { qstat -u '*' | awk -v j="$1" -v f="$2" 'NR > 2 && $1 == j {print $f}'; }
job_state() { job_field "$1" 5; }
job_host() { job_field "$1" 8 | sed 's/^[^@]*@//'; }
job_gone() { [[ -z $(job_state "$1") ]]; }
job_in_state() { [[ $(job_state "$1") == "$2" ]]; }

# wait_state JOB STATE SECONDS
wait_state() {
    wait_for "$3" job_in_state "$1" "$2" || fail "job $1 not in state '$2' after $3 s (it is '$(job_state "$1")')"
}

# process_state PID: R/S/T/Z... from /proc (the field after the command name, which may hold blanks)
process_state() { sed -n 's/^.*) \([A-Za-z]\).*/\1/p' "/proc/$1/stat" 2>/dev/null; }
process_in_state() { [[ $(process_state "$1") == "$2" ]]; }

write_jobs() {
    # where.sh: which host it ran on, and whether qstat works from there (reaches qmaster)
    cat > "$W/where.sh" <<'EOF'
#!/bin/bash
echo "host=$(hostname) restarted=$RESTARTED"
qstat -j "$JOB_ID" >/dev/null && echo "qstat=ok"
EOF
    # sleeper.sh: records its pid, then sleeps; a rerun says so
    cat > "$W/sleeper.sh" <<EOF
#!/bin/bash
echo "start host=\$(hostname) RESTARTED=\$RESTARTED SGE_CKPT_ENV=\${SGE_CKPT_ENV:-}"
echo \$\$ > $W/\$JOB_ID.pid
exec sleep 300
EOF
    chmod 0755 "$W/where.sh" "$W/sleeper.sh"
}

# a short job on each host, pinned with -l h=HOST
check_each_host() {
    local host id t0 out
    for host in $CRYO_SGE_HOSTS; do
        t0=$EPOCHREALTIME
        submit -l h="$host" -o "$W/where.$host" -j y -N "where_$host" "$W/where.sh"; id=$ID
        wait_for 60 job_gone "$id" || fail "job $id on $host did not finish in 60 s (state '$(job_state "$id")')"
        out=$(cat "$W/where.$host" 2>/dev/null)
        [[ $out == *"host=$host restarted=0"* ]] || fail "job $id pinned to $host printed '${out//$'\n'/ }'"
        [[ $out == *"qstat=ok"* ]] || fail "qstat -j from job $id on $host failed: '${out//$'\n'/ }'"
        echo "job on $host: submitted, ran there, finished in $(since "$t0") s"
    done
}

# qhold/qrls and qmod -sj/-usj on a running job on node2: its process stops and continues
check_control() {
    local id pid t0=$EPOCHREALTIME
    submit -l h="$CRYO_SGE_NODE2" -o "$W/control.out" -j y -N control "$W/sleeper.sh"; id=$ID
    wait_state "$id" r 60
    wait_for 10 test -s "$W/$id.pid" || fail "job $id wrote no pid file"
    pid=$(cat "$W/$id.pid")
    echo "control job $id running on $(job_host "$id") after $(since "$t0") s"
    qhold "$id" >/dev/null; wait_state "$id" hr 30
    qrls "$id" >/dev/null;  wait_state "$id" r 30
    t0=$EPOCHREALTIME
    qmod -sj "$id" >/dev/null; wait_state "$id" s 30
    wait_for 10 process_in_state "$pid" T || fail "qmod -sj $id: its process $pid is '$(process_state "$pid")', not stopped"
    qmod -usj "$id" >/dev/null; wait_state "$id" r 30
    wait_for 10 process_in_state "$pid" S || fail "qmod -usj $id: its process $pid is '$(process_state "$pid")', not sleeping"
    echo "qhold/qrls, qmod -sj (process stopped) / -usj (continued): $(since "$t0") s for suspend+resume"
    qdel "$id" >/dev/null
    wait_for 30 job_gone "$id" || fail "qdel $id: job still '$(job_state "$id")' after 30 s"
    wait_for 10 bash -c "[[ ! -e /proc/$pid ]] || grep -q ') Z' /proc/$pid/stat" \
        || fail "qdel $id: its process $pid still runs"
}

# A checkpointable job on node2 migrated by qmod -sj while node2's queue is disabled: Grid
# Engine calls migr_command (the hook ends the job), reschedules the job and runs its script
# again with RESTARTED=2, here on this host since the job may not go back to node2.
check_migration() {
    local head=$CRYO_SGE_HEAD_HOST node2=$CRYO_SGE_NODE2 id t0 out
    : > "$CRYO_SGE_HOOK_LOG"
    qmod -d "all.q@$head" >/dev/null
    t0=$EPOCHREALTIME
    submit -ckpt "$CRYO_SGE_CKPT_APP" -r y -o "$W/migrate.out" -j y -N migrate "$W/sleeper.sh"; id=$ID
    wait_state "$id" r 60
    [[ $(job_host "$id") == "$node2" ]] || fail "job $id started on '$(job_host "$id")' although only $node2 was enabled"
    wait_for 10 grep -q "RESTARTED=0" "$W/migrate.out" || fail "job $id: no first run in $W/migrate.out"
    echo "ckpt job $id running on $node2 after $(since "$t0") s"
    qmod -e "all.q@$head" >/dev/null
    qmod -d "all.q@$node2" >/dev/null
    t0=$EPOCHREALTIME
    qmod -sj "$id" >/dev/null
    wait_for 90 bash -c "[[ \$(qstat -u '*' | awk -v j=$id 'NR > 2 && \$1 == j {print \$5, \$8}') == 'Rr all.q@$head' ]]" \
        || fail "job $id not rerunning on $head 90 s after qmod -sj (state '$(job_state "$id")' on '$(job_host "$id")')"
    wait_for 20 grep -q "start host=$head RESTARTED=2 SGE_CKPT_ENV=$CRYO_SGE_CKPT_APP" "$W/migrate.out" \
        || fail "job $id: the rerun on $head did not print RESTARTED=2: '$(tr '\n' ' ' < "$W/migrate.out")'"
    grep -q "migr on $node2 argv: $id " "$CRYO_SGE_HOOK_LOG" || fail "no migr_command call on $node2 for job $id in $CRYO_SGE_HOOK_LOG"
    echo "ckpt job $id: qmod -sj -> migr hook on $node2 -> rerun on $head with RESTARTED=2: $(since "$t0") s"
    qmod -e "all.q@$node2" >/dev/null
    qdel "$id" >/dev/null
    wait_for 30 job_gone "$id" || fail "qdel $id: job still '$(job_state "$id")' after 30 s"
    wait_for 20 grep -q "clean on $head argv: $id " "$CRYO_SGE_HOOK_LOG" || fail "no clean_command call for job $id after qdel"
}

# DRMAA 1.0 Java (Debian's drmaa.jar + libdrmaa): submit a job that exits 7, wait for it
check_drmaa() {
    local t0=$EPOCHREALTIME out
    cat > "$W/DrmaaPing.java" <<'EOF'
import org.ggf.drmaa.*;
import java.util.List;

/** Submits "sh -c 'exit 7'" through DRMAA, waits for it and prints what DRMAA reports. */
public class DrmaaPing {
    public static void main(String[] args) throws Exception {
        Session session = SessionFactory.getFactory().getSession();
        session.init("");
        JobTemplate job = session.createJobTemplate();
        job.setRemoteCommand("/bin/sh");
        job.setArgs(List.of("-c", "exit 7"));
        job.setJobName("drmaa_ping");
        job.setOutputPath(":/dev/null");   // the default would be $HOME/<name>.o<id>
        job.setJoinFiles(true);
        String id = session.runJob(job);
        JobInfo info = session.wait(id, 120);
        System.out.println("drmaa " + session.getDrmSystem() + " job " + id
                + " exited=" + info.hasExited() + " status=" + (info.hasExited() ? info.getExitStatus() : -1));
        session.exit();
    }
}
EOF
    javac -d "$W" -cp "$DRMAA_JAR" "$W/DrmaaPing.java" 2> "$W/javac.err" || fail "javac DrmaaPing: $(head -n1 "$W/javac.err")"
    out=$(timeout 150 java -Djava.library.path="$DRMAA_LIBRARY_PATH" -cp "$DRMAA_JAR:$W" DrmaaPing 2> "$W/java.err") \
        || fail "DRMAA Java: $(grep -m1 -E 'Exception|Error' "$W/java.err" || head -n1 "$W/java.err")"
    [[ $out == *"exited=true status=7"* ]] || fail "DRMAA Java: job did not report exit status 7: '$out'"
    echo "$out (javac + run + wait: $(since "$t0") s)"
}

T0=$EPOCHREALTIME
write_jobs
check_each_host
check_control
check_migration
check_drmaa
echo "sge-verify: OK ($(since "$T0") s)"
