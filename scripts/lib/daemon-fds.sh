# Sourced by the test clusters' scripts (scripts/slurm, scripts/trixie).
#
# close_inherited_fds: closes this shell's descriptors above 2.  Call it in the subshell that is
# about to exec a daemon: `( close_inherited_fds; exec DAEMON ... ) &`.  A daemon started from a
# shell that holds a lock (flock /tmp/cryo-slurm.lock ...) would otherwise hold the lock for as
# long as it runs.  The `( ... ) &` must be one process that becomes the daemon, so that $! is the
# daemon's PID: a function that forks again inside a background job leaves a shell between the two,
# holding the descriptors, and its PID in the pid file (slurm-down then does not find the daemon).
close_inherited_fds() {
    local fd
    for fd in /proc/$BASHPID/fd/*; do
        fd=${fd##*/}
        (( fd > 2 )) && eval "exec $fd>&-" 2>/dev/null
    done
    return 0
}

# without_inherited_fds CMD...: runs CMD (in the foreground) with none of this shell's descriptors above 2.
without_inherited_fds() {
    ( close_inherited_fds; exec "$@" )
}
