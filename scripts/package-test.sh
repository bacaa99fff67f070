#!/usr/bin/env bash
# package-test.sh: installs the Debian packages of target/debs (mvn package made them) with apt-get,
# runs the demo and one cr_checkpoint/cr_restart of a real process from the installed paths, checks
# that man finds every page and bash loads every completion, then purges them and checks that no
# file of theirs is left.  Run by scripts/test-all.sh after mvn package; root only (it installs).
# The machine is left as it was, also when a check fails: the EXIT trap purges the packages and
# whatever apt-get pulled in for them, kills what the test started, and puts back /etc/cryo if it
# was there before (dpkg removes an empty directory it thinks it owns).
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
repo=$PWD

PACKAGES=(cryo cryo-slurm cryo-sge cryo-pbs)
work=
pids=()
etc_cryo_existed=0
packages_before=
export DEBIAN_FRONTEND=noninteractive
APT=(apt-get -o DPkg::Lock::Timeout=900 -y -qq)

say() { echo "package-test: [${SECONDS}s] $*"; }
fail() { echo "package-test: FAILED: $*" >&2; exit 1; }

installed_packages() {
    dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' | awk '$1 ~ /^.i/ {print $2}' | sort
}

is_installed() {
    [[ $(dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null) == ?i* ]]
}

# --- before -------------------------------------------------------------------------------------
# The files and links a package holds (not its directories, which it may share: /usr/bin, /lib).
package_files() {
    dpkg-deb --fsys-tarfile "$1" | tar -t | grep -v '/$' | sed 's|^\./|/|'
}

# Every file the packages hold must be new to the machine: the purge removes what dpkg installed,
# and a file that was there before would go with it.
check_nothing_in_the_way() {
    local deb path
    for deb in "${debs[@]}"; do
        while read -r path; do
            [[ -e $path || -L $path ]] && fail "$path exists already (from $(dpkg -S "$path" 2>/dev/null || echo 'no package')): not installing $deb over it"
        done < <(package_files "$deb")
    done
    local package
    for package in "${PACKAGES[@]}"; do
        is_installed "$package" && fail "$package is installed already: purge it first"
    done
    return 0
}

# --- after (the trap) ---------------------------------------------------------------------------
restore_machine() {
    local status=$?
    set +e
    local pid
    for pid in "${pids[@]}"; do
        kill -KILL "$pid" 2>/dev/null
    done
    local installed=() package
    for package in "${PACKAGES[@]}"; do
        is_installed "$package" && installed+=("$package")
    done
    (( ${#installed[@]} )) && "${APT[@]}" purge "${installed[@]}" >/dev/null
    # what apt-get installed for them (a dependency that was missing)
    if [[ -n $packages_before ]]; then
        local pulled_in
        mapfile -t pulled_in < <(comm -13 <(echo "$packages_before") <(installed_packages))
        if (( ${#pulled_in[@]} )); then
            say "purging what the packages pulled in: ${pulled_in[*]}"
            "${APT[@]}" purge "${pulled_in[@]}" >/dev/null
        fi
    fi
    (( etc_cryo_existed )) && [[ ! -d /etc/cryo ]] && install -d -m 0755 /etc/cryo
    [[ -n $work ]] && rm -rf "$work"
    exit "$status"
}

# --- checks on the installed packages ------------------------------------------------------------
check_commands() {
    local program target
    for program in cryo cr_run cr_checkpoint cr_restart; do
        target=$(readlink -f "/usr/bin/$program")
        [[ $target == /usr/lib/cryo/bin/$program && -x $target ]] || fail "/usr/bin/$program leads to '$target'"
    done
    for program in cr_run cr_checkpoint cr_restart; do
        "/usr/bin/$program" --help >/dev/null || fail "$program --help failed"
    done
    # the adapters' commands come from their packages' jars (one JVM for the three)
    local help adapter
    help=$(/usr/bin/cryo --help) || fail "cryo --help failed"
    for adapter in slurm sge pbs; do
        grep -qE "^ +$adapter " <<<"$help" || fail "cryo --help lists no '$adapter' command (cryo-$adapter installed): $help"
    done
    [[ -x /usr/lib/cryo/plugin-pbs/bin/cryo-pbs-action ]] || fail "cryo-pbs has no MoM action script"
    [[ -f /usr/lib/cryo/plugin-slurm/bin/cryo-slurm.sh ]] || fail "cryo-slurm has no cryo-slurm.sh"
    local unit=/lib/systemd/system/cryo-agent.service exec
    exec=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$unit")
    [[ $exec == /usr/bin/cryo ]] || fail "$unit runs '$exec'"
    # an application links with the restart-callback library from the system's paths alone
    printf '#include <cryo/callbacks.h>\nstatic void f(void *a) { (void)a; }\nint main(void) { return cryo_register_callback(f, 0) != 0; }\n' > "$work/callback.c"
    gcc -o "$work/callback" "$work/callback.c" -lcryo_callbacks || fail "cannot link with -lcryo_callbacks"
    "$work/callback" || fail "cryo_register_callback failed in a program linked with the installed library"
    say "commands: /usr/bin/{cryo,cr_run,cr_checkpoint,cr_restart} answer, cryo has slurm, sge and pbs; the unit runs $exec; -lcryo_callbacks links and runs"
}

check_demo() {
    (cd "$work" && /usr/bin/cryo demo) > "$work/demo.out" 2>&1 || { cat "$work/demo.out" >&2; fail "cryo demo failed"; }
    grep -q 'carried on at step' "$work/demo.out" || { cat "$work/demo.out" >&2; fail "cryo demo did not say the counter carried on"; }
    say "demo: $(grep -o 'carried on at step [0-9]* (checkpointed at step [0-9]*)' "$work/demo.out")"
}

# Waits (bounded) until FILE has a line "[pid P] step N/TOTAL ..." with N >= MIN.
wait_for_step() {
    local file=$1 min=$2 deadline=$((SECONDS + 60))
    while (( SECONDS < deadline )); do
        [[ $(last_step "$file") -ge $min ]] && return 0
        sleep 0.2
    done
    fail "no step $min in $file within 60 s: $(tail -n 3 "$file" 2>/dev/null)"
}

last_step() {
    local step
    step=$(grep -oE ' step +[0-9]+/' "$1" 2>/dev/null | tail -n 1 | grep -oE '[0-9]+')
    echo "${step:-0}"
}

# cr_checkpoint --kill of the installed counter, cr_restart from the context file: it carries on
# from the step after the saved one, under its own PID, and cr_restart ends as it does (killed by
# SIGTERM here: the counter would otherwise run for minutes, so no step count depends on speed).
check_checkpoint_restart() {
    local log=$work/counter.out context=$work/counter.ctx
    # only stdin, stdout and stderr: a descriptor inherited from whoever runs the test (a pipe to
    # a process outside) would be refused by the checkpoint
    bash -c 'for fd in $(ls /proc/$$/fd); do (( fd > 2 )) && eval "exec $fd>&-"; done
             exec /usr/lib/cryo/bin/cryo-demo-counter 1000' > "$log" 2>&1 < /dev/null &
    local pid=$!
    pids+=("$pid")
    disown "$pid"   # its SIGKILL is expected: no "Killed" from bash (bash still reaps it)
    wait_for_step "$log" 3
    /usr/bin/cr_checkpoint --kill -f "$context" "$pid" || fail "cr_checkpoint --kill $pid failed"
    local deadline=$((SECONDS + 30))
    while kill -0 "$pid" 2>/dev/null && (( SECONDS < deadline )); do
        sleep 0.1   # gone, but this shell reaps its zombie a moment later
    done
    kill -0 "$pid" 2>/dev/null && fail "the counter $pid still runs after cr_checkpoint --kill: $(ps -o stat=,args= -p "$pid")"
    local saved
    saved=$(last_step "$log")
    [[ -s $context ]] || fail "no context file $context"
    # the counter writes on into $log at its own offset (a file comes back by reference)
    /usr/bin/cr_restart "$context" > "$work/restart.out" 2>&1 < /dev/null &
    local restart=$!
    pids+=("$restart")
    wait_for_step "$log" $((saved + 2))
    grep -qE " step +$((saved + 1))/" "$log" || fail "the restarted counter did not carry on at step $((saved + 1)): $(tail -n 5 "$log")"
    grep -qE "^\[pid $pid\] step +$((saved + 2))/" "$log" || fail "the restarted counter is not pid $pid: $(tail -n 2 "$log")"
    kill -TERM "$pid"
    local status=0
    wait "$restart" || status=$?
    (( status == 128 + 15 )) || fail "cr_restart exited $status, not killed by SIGTERM as its counter was: $(cat "$work/restart.out")"
    say "cr_checkpoint/cr_restart: killed at step $saved, restarted from $(stat -c %s "$context") bytes as pid $pid, carried on at step $((saved + 1)); cr_restart died by the counter's SIGTERM"
}

# man -w finds every page the packages installed, by its name; bash loads every completion.
check_man_pages_and_completion() {
    local pages names found i
    mapfile -t pages < <(dpkg -L "${PACKAGES[@]}" | grep '^/usr/share/man/man1/.*\.1\.gz$' | sort -u)
    (( ${#pages[@]} > 20 )) || fail "the packages have only ${#pages[@]} man pages: ${pages[*]}"
    mapfile -t names < <(printf '%s\n' "${pages[@]}" | xargs -n1 basename | sed 's/\.1\.gz$//')
    # one man -w for all: a path per name, in order
    mapfile -t found < <(man -w "${names[@]}" 2>/dev/null)
    (( ${#found[@]} == ${#names[@]} )) || fail "man -w found ${#found[@]} of ${#names[@]} pages: ${found[*]}"
    for i in "${!names[@]}"; do
        # cryo-checkpoint.1.gz is a link to cr_checkpoint.1.gz
        [[ $(readlink -f "${found[i]}") == "$(readlink -f "${pages[i]}")" ]] || fail "man -w ${names[i]} finds ${found[i]}, not ${pages[i]}"
    done
    local name
    for name in cr_checkpoint cr_restart cr_run cryo cryo-run cryo-checkpoint cryo-slurm cryo-sge cryo-pbs; do
        [[ " ${names[*]} " == *" $name "* ]] || fail "no man page for $name"
    done
    man -P cat cr_checkpoint 2>/dev/null | grep -q -- '--noclobber' || fail "man cr_checkpoint does not show its --help's options"
    local script
    for name in cryo cr_run cr_checkpoint cr_restart; do
        script=/usr/share/bash-completion/completions/$name
        bash -c "source '$script' && complete -p $name" >/dev/null 2>&1 || fail "$script does not set up completion for $name"
    done
    local words
    words=$(bash -c "source /usr/share/bash-completion/completions/cr_checkpoint; COMP_WORDS=(cr_checkpoint --noc); COMP_CWORD=1; _cryo_native cr_checkpoint; echo \"\${COMPREPLY[*]}\"")
    [[ $words == --noclobber ]] || fail "cr_checkpoint --noc<TAB> gives '$words'"
    say "man pages: ${#names[@]} found by man -w; completion for cryo, cr_run, cr_checkpoint, cr_restart"
}

# Every file and link the packages held is gone, /usr/lib/cryo too, and no package is left.
check_purged() {
    local path left=()
    while read -r path; do
        [[ -e $path || -L $path ]] && left+=("$path")
    done < "$work/files"
    (( ${#left[@]} == 0 )) || fail "left after the purge: ${left[*]}"
    [[ ! -e /usr/lib/cryo ]] || fail "/usr/lib/cryo is still there: $(find /usr/lib/cryo | head -n 5)"
    local package
    for package in "${PACKAGES[@]}"; do
        [[ -z $(dpkg-query -W -f='${Status}' "$package" 2>/dev/null) ]] || \
            [[ $(dpkg-query -W -f='${Status}' "$package" 2>/dev/null) == "unknown ok not-installed" ]] || \
            fail "$package is still known to dpkg: $(dpkg-query -W -f='${Status}' "$package")"
    done
    say "purge: none of the $(wc -l < "$work/files") paths of the packages is left, /usr/lib/cryo gone"
}

main() {
    (( EUID == 0 )) || { say "skipped: installing packages needs root"; exit 0; }
    shopt -s nullglob
    debs=("$repo"/target/debs/*.deb)
    shopt -u nullglob
    (( ${#debs[@]} == ${#PACKAGES[@]} )) || fail "target/debs has ${#debs[@]} packages, not ${#PACKAGES[@]} (mvn package builds them)"
    check_nothing_in_the_way
    [[ -d /etc/cryo ]] && etc_cryo_existed=1
    packages_before=$(installed_packages)
    work=$(mktemp -d /tmp/cryo-package-test.XXXXXX)
    chmod 0755 "$work"
    trap restore_machine EXIT

    say "installing ${debs[*]##*/}"
    # unsafe-io: no fsync per file (a test install; the purge follows)
    "${APT[@]}" -o DPkg::Options::=--force-unsafe-io --no-install-recommends install "${debs[@]}" >/dev/null
    say "installed"
    local deb
    for deb in "${debs[@]}"; do
        package_files "$deb"
    done > "$work/files"

    check_commands
    check_man_pages_and_completion
    check_demo
    check_checkpoint_restart

    # dpkg itself, once: apt-get purge would read the package lists and dpkg's file database
    # several times (half a minute on a loaded machine) to do the same
    dpkg --purge "${PACKAGES[@]}" >/dev/null
    say "purged"
    check_purged
    say "passed"
}

main "$@"
