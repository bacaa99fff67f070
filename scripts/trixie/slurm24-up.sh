#!/usr/bin/env bash
# slurm24-up.sh - start a real two-node Slurm 24.11 test cluster from the Debian 13 tree
# (trixie-tree.sh builds it, or reuses it when present), beside the host's Slurm 22.05 one:
#   munged (a key of its own), slurmctld (port 6917), slurmd for node "tnode1" (this host's
#   network, a UTS namespace of its own) and for node "tnode2" (its own network namespace, veth
#   10.79.0.1 <-> 10.79.0.2, and UTS namespace), both on port 6918, and slurmrestd with JWT on 127.0.0.1:6920 and
#   10.79.0.1:6920 -- all in an overlay of the tree (slurm24-common.sh), the root of a mount namespace of its own, from a clean
#   environment.  The repository this script is in and the host's JVM are bound into the root
#   at the same paths (read-only), so jobs run the host's Cryo build; /tmp/cryo-slurm24/jobs is
#   the shared storage, at the same path on the host and in the root.
# Writes /tmp/cryo-slurm24/slurm.env (like 22.05's slurm.env, plus CRYO_SLURM_EXEC: the command
# prefix that runs Slurm's clients and Cryo inside the root).  Idempotent: what runs is left
# alone (a repository not yet bound is added).  Must run as root.  Others' tests use it only
# while holding the lock: flock /tmp/cryo-slurm24.lock ...
set -euo pipefail
source "$(dirname "$(readlink -f "$0")")/slurm24-common.sh"
source "$REPO/scripts/install-build-deps.sh"
((EUID == 0)) || die "must run as root"
cd /

install_host_packages() {
    # debootstrap (for the tree) is installed by trixie-tree.sh; curl asks slurmrestd
    install_packages iproute2 util-linux curl
}

ensure_tree() {
    TREE=$(bash "$TRIXIE_SCRIPTS/trixie-tree.sh" 2>/dev/null) || TREE=$(bash "$TRIXIE_SCRIPTS/trixie-tree.sh")
    [[ -x $TREE/usr/sbin/slurmctld ]] || die "the tree $TREE has no slurmctld"
    # upper/ only makes sense over the tree it was made on
    local before
    before=$(cat "$SCHED24_DIR/tree" 2>/dev/null || true)
    if [[ -n $before && $before != "$TREE" ]]; then
        ns_is_up && die "the cluster runs on $before, not $TREE: bash scripts/trixie/slurm24-down.sh first"
        log "the tree is now $TREE (was $before): starting from a fresh upper layer"
        rm -rf "$UPPER24" "$WORK24"
    fi
    echo "$TREE" > "$SCHED24_DIR/tree"
}

# /run/cryo24 bound onto itself and private: unshare --mount=FILE needs FILE on a private
# mount (/run/netns is shared once ip netns has run, so not there).
ensure_run_dir() {
    mkdir -p "$RUN24_DIR"
    is_mountpoint "$RUN24_DIR" || mount --bind "$RUN24_DIR" "$RUN24_DIR"
    mount --make-private "$RUN24_DIR"
}

# The mount namespace: the overlay root (the tree read-only below, upper/ for the cluster's own
# files), proc, sysfs, a fresh /run and /dev/shm, a devpts of its own (criu, ptys), the host's
# JVM; then pivot_root into it, the host's root kept at /.host (later binds come from there).
# Not a chroot: a chrooted process may not create a user namespace ("EPERM ... the caller is in
# a chroot environment"), and Cryo's unprivileged restart needs one.  nsenter --mount puts a
# process at the namespace's root, so nothing needs chroot afterwards.  Everything in the
# namespace goes when its nsfs file is unmounted (slurm24-down.sh).
create_mount_ns() {
    ns_is_up && return 0
    log "mount namespace $NSFILE: overlay of $TREE at $ROOT24"
    mkdir -p "$UPPER24" "$WORK24" "$ROOT24"
    # Slurm's configuration is this script's alone, written anew below: whatever an earlier user
    # of the cluster added to /etc/slurm (a plugstack.conf naming a plugin of another worktree,
    # which made every sbatch print dlopen errors) goes with the namespace it was made in.
    rm -rf "$UPPER24/etc/slurm"
    touch "$NSFILE"
    local jvm_conf=()
    [[ -d /etc/java-17-openjdk ]] && jvm_conf=(/etc/java-17-openjdk)
    if ! unshare --mount="$NSFILE" --propagation private /bin/sh -ec '
            T=$1 lower=$2 upper=$3 work=$4; shift 4
            mount -t overlay overlay -o "lowerdir=$lower,upperdir=$upper,workdir=$work" "$T"
            mount -t proc proc "$T/proc"
            mount -t sysfs sysfs "$T/sys"
            mount -t tmpfs -o mode=0755,size=64m tmpfs "$T/run"
            mkdir -p "$T/dev/shm"
            mount -t tmpfs -o mode=1777,size=512m tmpfs "$T/dev/shm"
            mount -t devpts -o newinstance,ptmxmode=0666,mode=0620,gid=5 devpts "$T/dev/pts"
            mount --bind "$T/dev/pts/ptmx" "$T/dev/ptmx"
            for d in /usr/lib/jvm "$@"; do
                mkdir -p "$T$d"; mount --bind -o ro "$d" "$T$d"
            done
            mkdir -p "$T/.host"
            cd "$T"
            pivot_root . .host' sh "$ROOT24" "$TREE" "$UPPER24" "$WORK24" "${jvm_conf[@]}"; then
        umount "$NSFILE" 2>/dev/null || true
        rm -f "$NSFILE"
        die "could not mount the cluster's root in a new mount namespace"
    fi
}

# bind_into_root DIR MODE: DIR of the host at the same path in the root (idempotent; mounts
# added to the namespace show up at once for the running daemons and jobs).
bind_into_root() {
    local dir=$1 mode=$2
    nsenter --mount="$NSFILE" /bin/sh -ec '
        d=$1 mode=$2
        awk -v p="$d" '"'"'$5 == p { found = 1 } END { exit !found }'"'"' /proc/self/mountinfo && exit 0
        mkdir -p "$d"; mount --bind -o "$mode" "/.host$d" "$d"' sh "$dir" "$mode"
}

# The root's own files (all in upper/): host names, slurmrest user, a munge key of the cluster's
# own, the java command of the host's JVM, and the marker that on-node24.sh reads.
prepare_root() {
    in_root sh -ec '
        grep -qw "$1" /etc/hosts || echo "127.0.0.1 $1" >> /etc/hosts
        grep -qE "^$3[[:space:]]+$2\$" /etc/hosts || echo "$3 $2" >> /etc/hosts
        grep -qE "^$5[[:space:]]+$4\$" /etc/hosts || echo "$5 $4" >> /etc/hosts
        id slurmrest >/dev/null 2>&1 || useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin slurmrest
        install -d -o slurm -g slurm -m 0755 /var/lib/slurm/slurmctld /var/log/slurm /run/slurm
        install -d -o munge -g munge -m 0755 /run/munge
        if [ ! -e /etc/munge/.cryo-slurm24-key ]; then
            mungekey --create --force --keyfile=/etc/munge/munge.key
            chown munge:munge /etc/munge/munge.key; chmod 0400 /etc/munge/munge.key
            touch /etc/munge/.cryo-slurm24-key
        fi
        if [ ! -s /var/lib/slurm/slurmctld/jwt_hs256.key ]; then
            dd if=/dev/urandom of=/var/lib/slurm/slurmctld/jwt_hs256.key bs=32 count=1 status=none
        fi
        chown slurm:slurm /var/lib/slurm/slurmctld/jwt_hs256.key; chmod 0600 /var/lib/slurm/slurmctld/jwt_hs256.key' \
        sh "$HEAD24_NODE" "$NODE24" "$NODE24_ADDR" "$NODE1_24" "$HOST24_ADDR"
    local java
    java=$(readlink -f "$(command -v java 2>/dev/null || echo /usr/lib/jvm/java-17-openjdk-amd64/bin/java)")
    [[ $java == /usr/lib/jvm/* ]] || die "the host's java ($java) is not under /usr/lib/jvm, which is bound into the root"
    in_root ln -sfn "$java" /usr/local/bin/java
    in_root sh -c 'cat > "$1"' sh "$ROOT_MARKER" <<MARKER
# written by scripts/trixie/slurm24-up.sh: this is the root of the Slurm 24.11 test cluster
NODE1_24=$NODE1_24
NODE24=$NODE24
MARKER
}

# node2's namespaces: a network namespace joined to this host by a veth pair, and a UTS
# namespace kept alive by a bind mount so that every process started there is "$NODE24";
# node1's: a UTS namespace ("$NODE1_24") in this host's network namespace.
create_node2_namespaces() {
    [[ -e /run/netns/$NETNS24 ]] || ip netns add "$NETNS24"
    if ! ip link show "$VETH24_HOST" >/dev/null 2>&1; then
        ip link add "$VETH24_HOST" type veth peer name "$VETH24_NODE"
        ip link set "$VETH24_NODE" netns "$NETNS24"
    fi
    # (no 'ip | grep -q' under pipefail: grep's early exit makes ip's SIGPIPE the pipeline's status)
    grep -q "inet $HOST24_ADDR/" <<<"$(ip addr show dev "$VETH24_HOST")" || ip addr add "$HOST24_ADDR/24" dev "$VETH24_HOST"
    ip link set "$VETH24_HOST" up
    ip netns exec "$NETNS24" sh -c "
        ip addr show dev $VETH24_NODE | grep -q 'inet $NODE24_ADDR/' || ip addr add $NODE24_ADDR/24 dev $VETH24_NODE
        ip link set $VETH24_NODE up; ip link set lo up"
    if ! is_mountpoint "$UTS24_FILE"; then
        touch "$UTS24_FILE"
        unshare --uts="$UTS24_FILE" hostname "$NODE24"
    fi
    if ! is_mountpoint "$UTS1_24_FILE"; then
        touch "$UTS1_24_FILE"
        unshare --uts="$UTS1_24_FILE" hostname "$NODE1_24"
    fi
}

write_config() {
    # Both nodes get this machine's hardware (slurmd -C), so neither is drained for "Low RealMemory".
    local hardware new
    hardware=$(in_root slurmd -C 2>/dev/null || true)
    hardware=$(sed -n '1s/^NodeName=[^ ]* //p' <<<"$hardware")
    [[ $hardware == *CPUs=* ]] || die "slurmd -C in the root printed no hardware line"
    new=$(mktemp)
    cat > "$new" <<CONF
# generated by scripts/trixie/slurm24-up.sh (Slurm 24.11 beside the host's 22.05)
ClusterName=cryo24
SlurmctldHost=$HEAD24_NODE($HOST24_ADDR)
SlurmctldPort=$CTLD24_PORT
SlurmdPort=$SLURMD24_PORT
SlurmUser=slurm
AuthType=auth/munge
CredType=cred/munge
AuthAltTypes=auth/jwt
AuthAltParameters=jwt_key=/var/lib/slurm/slurmctld/jwt_hs256.key
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
ReturnToService=2
SlurmctldPidFile=/run/slurm/slurmctld.pid
SlurmdPidFile=/run/slurm/slurmd-%n.pid
SlurmdSpoolDir=/var/lib/slurm/slurmd-%n
SlurmdLogFile=/var/log/slurm/slurmd-%n.log
StateSaveLocation=/var/lib/slurm/slurmctld
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
# Preemption as Cryo wants it: requeue, with a grace time and the job's --signal at preemption.
# 23.02+ reads this from PreemptParameters=send_user_signal (22.05: SlurmctldParameters=
# preempt_send_user_signal, see plugin-slurm/README.md); without it the grace period starts with
# SIGCONT+SIGTERM to the job steps, which a batch script without steps never sees.
PreemptType=preempt/partition_prio
PreemptMode=REQUEUE
PreemptParameters=send_user_signal
JobRequeue=1
# The same fast turn-around as the 22.05 cluster (scripts/slurm/slurm-up.sh says why each).
KillWait=10
OverTimeLimit=0
AuthInfo=cred_expire=10
SchedulerParameters=sched_interval=5
MinJobAge=600
MailProg=/bin/true
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
JobAcctGatherType=jobacct_gather/none
MpiDefault=none
SlurmctldDebug=info
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdDebug=info
NodeName=$NODE1_24 NodeAddr=$HOST24_ADDR NodeHostname=$NODE1_24 $hardware State=UNKNOWN
NodeName=$NODE24 NodeAddr=$NODE24_ADDR NodeHostname=$NODE24 $hardware State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP DefMemPerCPU=256 PriorityTier=1 OverSubscribe=NO GraceTime=30
PartitionName=high  Nodes=ALL MaxTime=INFINITE State=UP DefMemPerCPU=256 PriorityTier=10 OverSubscribe=NO PreemptMode=OFF
CONF
    CONF_CHANGED=0
    if ! in_root cmp -s /etc/slurm/slurm.conf - < "$new"; then
        log "writing the root's /etc/slurm/slurm.conf"
        in_root sh -c 'cat > /etc/slurm/slurm.conf; chmod 0644 /etc/slurm/slurm.conf' < "$new"
        CONF_CHANGED=1
    fi
    rm -f "$new"
    write_plugstack
    # slurmd 24.11 initialises a cgroup plugin even with proctrack/linuxproc, and cgroup/v2 is
    # impossible on a hybrid host ("Hybrid mode is not supported"): none at all.
    printf '# generated by scripts/trixie/slurm24-up.sh\nCgroupPlugin=disabled\n' |
        in_root sh -c 'cat > /etc/slurm/cgroup.conf'
}

start_munge() {
    if [[ -z $(root_daemon_pid /run/munge/munged.pid munged) ]] || ! in_root sh -c 'munge -n | unmunge' >/dev/null 2>&1; then
        log "starting munged"
        in_root runuser -u munge -- /usr/sbin/munged --force
        wait_for 10 in_root sh -c 'munge -n | unmunge' || die "munged did not come up"
    fi
}

slurmctld_pid() { root_daemon_pid /run/slurm/slurmctld.pid slurmctld; }
slurmd_pid() { root_daemon_pid "/run/slurm/slurmd-$1.pid" slurmd; }
daemons_stopped() { [[ -z $(slurmctld_pid)$(slurmd_pid "$NODE1_24")$(slurmd_pid "$NODE24") ]]; }
node_usable() { grep -qE '^(idle|mixed|allocated|completing)' <<<"$(in_root sinfo -h -n "$1" -o %T)"; }

start_slurm() {
    if (( CONF_CHANGED )) && [[ -n $(slurmctld_pid) ]]; then
        log "configuration changed: restarting the daemons"
        in_root scontrol shutdown >/dev/null 2>&1 || true
        wait_for 15 daemons_stopped || true
    fi
    if [[ -z $(slurmctld_pid) ]]; then log "starting slurmctld"; in_root slurmctld; fi
    wait_for 30 in_root scontrol ping || { in_root tail -20 /var/log/slurm/slurmctld.log >&2; die "slurmctld not responding"; }
    if [[ -z $(slurmd_pid "$NODE1_24") ]]; then
        log "starting slurmd $NODE1_24 (this host's network, UTS namespace $UTS1_24_FILE)"
        on_node1_root slurmd -N "$NODE1_24"
    fi
    if [[ -z $(slurmd_pid "$NODE24") ]]; then
        log "starting slurmd $NODE24 (namespaces $NETNS24, $UTS24_FILE)"
        on_node2_root slurmd -N "$NODE24"
    fi
    local node
    for node in "$NODE1_24" "$NODE24"; do
        if ! wait_for 30 node_usable "$node"; then
            in_root scontrol update NodeName="$node" State=RESUME >/dev/null 2>&1 || true
            wait_for 15 node_usable "$node" ||
                die "node $node not usable: $(in_root sinfo -h -N -o '%N %T %E' | tr '\n' ' ')(log: $ROOT24/var/log/slurm/slurmd-$node.log in the namespace)"
        fi
    done
}

rest_responding() {
    grep -q '"pinged": *"UP"' <<<"$(curl -sf -H "X-SLURM-USER-NAME: root" -H "X-SLURM-USER-TOKEN: $TOKEN" \
        "http://127.0.0.1:$REST24_PORT/slurm/v0.0.41/ping")"
}

# slurmrestd refuses to run as root or SlurmUser, so it runs as its own user.  Without slurmdbd
# it needs -s openapi/slurmctld (the default plugin set includes openapi/slurmdbd and is fatal).
# It serves v0.0.40, v0.0.41 and v0.0.42; /ping answers 200 even with a bad token, so the check
# reads "pinged" (v0.0.42 also has "responding").
start_slurmrestd() {
    local pid
    pid=$(cat "$SCHED24_DIR/slurmrestd.pid" 2>/dev/null || true)
    if ! [[ $pid =~ ^[0-9]+$ ]] || ! live "$pid" || [[ $(cat "/proc/$pid/comm" 2>/dev/null) != slurmrestd ]]; then
        log "starting slurmrestd (rest_auth/jwt) on 127.0.0.1:$REST24_PORT and $HOST24_ADDR:$REST24_PORT"
        ( close_inherited_fds
          exec env -i PATH="$CLEAN_PATH" LANG=C.UTF-8 SLURM_JWT=daemon setsid nsenter --mount="$NSFILE" \
              /bin/sh -c 'exec </dev/null >>/var/log/slurm/slurmrestd.log 2>&1; exec "$@"' sh \
              /usr/sbin/slurmrestd -u "$REST24_USER" -g "$REST24_USER" -a rest_auth/jwt -s openapi/slurmctld \
              "127.0.0.1:$REST24_PORT" "$HOST24_ADDR:$REST24_PORT" ) &
        echo $! > "$SCHED24_DIR/slurmrestd.pid"
    fi
    TOKEN=$(in_root scontrol token username=root lifespan=86400 | sed 's/^SLURM_JWT=//')
    wait_for 20 rest_responding || { in_root tail /var/log/slurm/slurmrestd.log >&2; die "slurmrestd not answering"; }
}

# The SPANK plugin (sbatch/srun --checkpoint) built against 24.11's spank.h, when the build made it
# (CRYO_TRIXIE set): the root's /etc/slurm/plugstack.conf (Slurm's default), read by sbatch and by
# each slurmstepd, so no restart is needed when it changes.  Without the plugin: no plugstack.conf.
write_plugstack() {
    local plugin=$REPO/plugin-slurm/target/spank/24.11/cryo_spank.so line=
    if [[ -f $plugin ]]; then
        line="optional $plugin cryo=$REPO"
    else
        log "no $plugin (build plugin-slurm with CRYO_TRIXIE set): sbatch --checkpoint is not available"
    fi
    if [[ $(in_root cat /etc/slurm/plugstack.conf 2>/dev/null || true) != "$line" ]]; then
        log "writing the root's /etc/slurm/plugstack.conf: ${line:-(none)}"
        if [[ -n $line ]]; then
            echo "$line" | in_root sh -c 'cat > /etc/slurm/plugstack.conf; chmod 0644 /etc/slurm/plugstack.conf'
        else
            in_root rm -f /etc/slurm/plugstack.conf
        fi
    fi
}

write_env() {
    cat > "$ENV24" <<ENV
# written by scripts/trixie/slurm24-up.sh: the Slurm 24.11 test cluster (plugin-slurm's tests read it)
export CRYO_SLURM_RELEASE=$(in_root scontrol --version | awk '{ print $2 }')
export SLURM_NODES="$NODE1_24 $NODE24"
export SLURM_REST_URL=http://127.0.0.1:$REST24_PORT
export SLURM_REST_USER_NAME=root
export SLURM_REST_TOKEN=$TOKEN   # not SLURM_JWT: that would switch scontrol/sbatch to auth/jwt
export CRYO_SLURM_EXEC=$TRIXIE_SCRIPTS/slurm24-run.sh   # prefix: Slurm's clients (and Cryo beside them) run in the root
export CRYO_SCONTROL=$TRIXIE_SCRIPTS/bin/scontrol   # for Cryo's adapter in a host JVM
export CRYO_NODE_EXEC="$TRIXIE_SCRIPTS/on-node24.sh %n"
export CRYO_SLURM_JOBS_DIR=$JOBS24
export CRYO_JOB_REST_URL=http://$HOST24_ADDR:$REST24_PORT   # slurmrestd as jobs on either node reach it
ENV
}

install_host_packages
mkdir -p "$SCHED24_DIR"
ensure_tree
install -d -m 1777 "$JOBS24"
ensure_run_dir
create_mount_ns
bind_into_root "$REPO" ro
bind_into_root "$JOBS24" rw
prepare_root
create_node2_namespaces
write_config
start_munge
start_slurm
start_slurmrestd
write_env
log "up: Slurm $(in_root scontrol --version | awk '{ print $2 }'): $(in_root sinfo -h -N -p debug -o '%N %T' | tr '\n' ' ')rest=http://127.0.0.1:$REST24_PORT env=$ENV24"
