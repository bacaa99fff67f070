# cryo_health: Cryo's node health check as a PBS MoM periodic hook (event exechost_periodic).
#
# Every `freq` seconds each MoM runs this in the background (the MoM goes on serving its jobs) as
# root; it runs `cryo health --act --scheduler pbs --node THIS_VNODE`, the same NodeActions as the
# agent: warn offlines the node with the precursor as its comment, evacuate offlines it and
# migrates its checkpointable jobs (checkpoint, qrerun; PBS runs them elsewhere from their
# context), fail offlines it and reruns them from their latest periodic context.  The history of
# rates lives in the state file between runs.  Installed by `cryo pbs install-hook --apply` (its
# settings are this hook's configuration file, JSON, imported as application/x-config).
#
# The configuration file is untrusted input to a root process: every key is checked, an unknown
# one or a wrong type refuses the run with one line in the MoM's log (a typo never runs something
# else).  The hook never rejects the event: a periodic hook's rejection only logs, and the log
# line says more.
import fcntl
import json
import os
import re
import subprocess

import pbs

HOOK = "cryo_health"
SETTINGS = {
    # key: (type, default)
    "cryo": (str, "/usr/bin/cryo"),          # the launcher, run as root
    "config": (str, ""),                     # --config FILE (empty: /etc/cryo/health.conf if it exists)
    "state": (str, "/var/lib/cryo/health/pbs-hook-state.json"),  # --state FILE: the history of rates
    "root": (str, "/"),                      # --root DIR: sysfs under DIR (a fixture tree in tests)
    # in state and root, {node} is the MoM's vnode name (several MoMs on one host keep apart)
    "timeout": (int, 170),                   # seconds for one run: below the hook's alarm
    "dry_run": (bool, False),                # --dry-run: say what would be done, change nothing
    "environment": (dict, {}),               # variables for cryo (JAVA_HOME, PBS_CONF_FILE, ...)
}


class Refused(Exception):
    """A configuration this hook will not run with; its message is the log line."""


def settings(path):
    """The hook's settings: the defaults, overridden by the JSON object in its configuration file."""
    values = {key: default for key, (_, default) in SETTINGS.items()}
    if not path:
        return values
    try:
        with open(path, encoding="utf-8") as f:
            given = json.load(f)
    except (OSError, ValueError) as e:
        raise Refused("cannot read the hook's configuration %s: %s" % (path, e))
    if not isinstance(given, dict):
        raise Refused("the hook's configuration %s is not a JSON object" % path)
    for key, value in given.items():
        if key not in SETTINGS:
            raise Refused("unknown setting %r in %s (known: %s)" % (key, path, ", ".join(sorted(SETTINGS))))
        kind = SETTINGS[key][0]
        if type(value) is not kind:
            raise Refused("setting %r in %s must be a JSON %s, not %r" % (key, path, kind.__name__, value))
        values[key] = value
    for name, value in values["environment"].items():
        if not isinstance(value, str) or not name or "=" in name or "\0" in name + value:
            raise Refused("environment %r in %s: a name and a string value" % (name, path))
    if not os.path.isabs(values["cryo"]) or not os.access(values["cryo"], os.X_OK):
        raise Refused("cryo %r (in %s) is not an executable absolute path" % (values["cryo"], path))
    if not 1 <= values["timeout"] <= 86400:
        raise Refused("timeout %d in %s must be 1..86400 seconds" % (values["timeout"], path))
    return values


def for_node(path, node):
    """A setting's path with {node} replaced by the vnode's name (checked: it becomes part of a path)."""
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", node):
        raise Refused("the vnode name %r is not a host name" % node)
    return path.replace("{node}", node)


def command(values, node):
    """cryo health --act for this vnode, as the settings say."""
    argv = [values["cryo"], "health", "--act", "--scheduler", "pbs", "--node", node,
            "--root", for_node(values["root"], node), "--state", for_node(values["state"], node)]
    if values["config"]:
        argv += ["--config", values["config"]]
    if values["dry_run"]:
        argv.append("--dry-run")
    return argv


def environment(values):
    """The MoM's environment (PBS_CONF_FILE of this MoM), root's PATH, and the settings' variables."""
    env = dict(os.environ)
    # the MoM gives its hooks PATH=/bin:/usr/bin: without sbin, cryo cannot run runuser (the checkpoint
    # as the job's owner) and every evacuation fails (seen on OpenPBS 23.06)
    env["PATH"] = "/usr/sbin:/usr/bin:/sbin:/bin"
    env.update(values["environment"])
    return env


def check(values, node, log):
    """One run of the check; returns its exit status (None: the previous run still holds the lock)."""
    state_dir = os.path.dirname(for_node(values["state"], node)) or "."
    os.makedirs(state_dir, mode=0o700, exist_ok=True)
    # two runs at once would act twice on one verdict (a slow evacuation outlasting freq): one at a time
    with open(os.path.join(state_dir, "pbs-hook-%s.lock" % node), "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log(pbs.LOG_WARNING, "the previous check is still running: this one skipped")
            return None
        try:
            run = subprocess.run(command(values, node), env=environment(values), stdin=subprocess.DEVNULL,
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=values["timeout"])
        except subprocess.TimeoutExpired:
            log(pbs.LOG_ERROR, "cryo health did not finish within %d s: ended (raise timeout and the hook's alarm)"
                % values["timeout"])
            return -1
        lines = run.stdout.decode("utf-8", "replace").splitlines()
        level = lines[0] if lines else ""
        quiet = run.returncode == 0 and len(lines) <= 1 and level == "ok"
        for line in lines:
            log(pbs.LOG_DEBUG if quiet else pbs.LOG_WARNING, line[:400])
        if run.returncode != 0:
            log(pbs.LOG_ERROR, "cryo health exited %d" % run.returncode)
        return run.returncode


def main():
    event = pbs.event()

    def log(level, message):
        pbs.logmsg(level, "%s: %s" % (HOOK, message))

    if event.type != pbs.EXECHOST_PERIODIC:
        log(pbs.LOG_WARNING, "runs on exechost_periodic only; event %s ignored" % event.type)
        event.accept()
    try:
        values = settings(getattr(pbs, "hook_config_filename", None))
        check(values, pbs.get_local_nodename(), log)
    except Refused as e:
        log(pbs.LOG_ERROR, str(e))
    except OSError as e:
        log(pbs.LOG_ERROR, "cannot run cryo health: %s" % e)
    event.accept()


main()
