# cryo-slurm.sh: source it in a Slurm batch script for checkpoint-and-requeue on a signal.
#
#   #SBATCH --requeue --open-mode=append --signal=B:USR1@60
#   source /usr/lib/cryo/plugin-slurm/bin/cryo-slurm.sh
#   cr_run_requeueable ./simulation input.dat
#
# cr_run_requeueable [--signal=SIG] [CR_RUN_OPTIONS] CMD ARGS...: runs CMD under cr_run (so a requeued job restarts
# from its latest context) and, when the batch shell gets SIG (default USR1: what --signal=B:USR1@N
# sends before the time limit, and what PreemptMode=REQUEUE with GraceTime and 22.05's
# SlurmctldParameters=preempt_send_user_signal / 23.02+'s PreemptParameters=send_user_signal
# sends at preemption), runs
# 'cryo slurm checkpoint requeue $SLURM_JOB_ID': checkpoint the process tree, requeue the job.
# CR_RUN_OPTIONS go to cr_run, e.g. --pid-ns (CMD in a PID namespace of its own; the checkpoint
# takes the whole namespace, the restart recreates it) or --checkpoint-interval=TIME.
# CMD runs in the background because bash runs a trap only between commands; the function waits
# for it and returns its exit status.
_cryo_slurm_home=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd -P)

cr_run_requeueable() {
    local sig=USR1 pid status
    if [[ ${1:-} == --signal=* ]]; then sig=${1#--signal=}; sig=${sig#SIG}; shift; fi
    # shellcheck disable=SC2064  # expand now: the job id and paths are fixed
    trap "echo \"cryo: SIG$sig at \$(date +%s.%N): checkpoint and requeue job $SLURM_JOB_ID\" >&2
          '$_cryo_slurm_home/bin/cryo' slurm checkpoint requeue '$SLURM_JOB_ID' >&2" "$sig"
    "$_cryo_slurm_home/bin/cr_run" "$@" &
    pid=$!
    while true; do
        wait "$pid"
        status=$?
        kill -0 "$pid" 2>/dev/null || break   # wait was interrupted by the trap: CMD still runs
    done
    trap - "$sig"
    return "$status"
}
