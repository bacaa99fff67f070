package org.cryo.pbs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A node as a PBS MoM leaves it to Cryo's actions, without a MoM: a job of user {@code pbsuser}
 * started as the MoM starts one (a shell leading a new session, as the owner, with PBS_JOBID, its
 * work under cr_run), and bin/cryo-pbs-action run as the MoM runs it (as root, no PATH, fds 0-2
 * closed, the MoM's environment, the %-arguments).  The job is 3.vm, whose server record is the
 * recorded A1-running.json (R/42 on vm, owner pbsuser); on a node not named vm every command runs
 * in a UTS namespace named vm ({@link #onVm}).
 */
final class MomNode implements AutoCloseable {
    static final String USER = "pbsuser";
    static final String JOB = "3.vm";
    /** The host the recorded server ran its jobs on (exec_host vm/0). */
    static final String RECORDED_HOST = "vm";
    static final Path ACTION = RecordedPbs.HOME.resolve("plugin-pbs/bin/cryo-pbs-action");
    private static final Path COUNTING_JOB = org.cryo.testsupport.CountingJob.program(RecordedPbs.HOME);

    final RecordedPbs pbs;
    final Path dir;
    final Path catalog;
    final Path progress;
    final Path log;
    final int uid;
    final int gid;
    Process job;
    long session;

    MomNode(RecordedPbs pbs) throws Exception {
        this.pbs = pbs;
        uid = ensureUser();
        gid = Integer.parseInt(run("id", "-g", USER).strip());
        dir = Files.createTempDirectory("cryo-pbs-node-", PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwxr-xr-x")));
        catalog = dir.resolve("catalog");
        progress = dir.resolve("progress");
        log = dir.resolve("actions.log");
        Files.createDirectory(catalog);
        Files.copy(COUNTING_JOB, dir.resolve("counting_job.py"));
        Files.writeString(dir.resolve("job.out"), "");
        run("chown", "-R", USER + ":", dir.toString());
        Files.writeString(log, "");
    }

    /** Creates {@code pbsuser} if missing (the recorded jobs' owner); its uid. */
    static synchronized int ensureUser() throws Exception {
        if (exec(List.of("id", "-u", USER)).status != 0) {
            Result add = exec(List.of("useradd", "-M", "-s", "/usr/sbin/nologin", USER));
            assertEquals(0, add.status, "useradd " + USER + ": " + add.out);
        }
        return Integer.parseInt(run("id", "-u", USER).strip());
    }

    /** Starts the job: sh (session leader) → cr_run → counting_job.py, as the MoM would; waits until cr_run recorded it. */
    MomNode startJob(int steps) throws Exception {
        return startJob(steps, 0);
    }

    /**
     * The same, the job's shell (its session's leader) with PID {@code wantedSession} when that is
     * not 0 (the session the recorded server record names: ns_last_pid, as root), so that the
     * administrator's side, which has only the server's session_id, finds the job's processes there.
     */
    MomNode startJob(int steps, long wantedSession) throws Exception {
        try {
            return started(steps, wantedSession);
        } catch (Exception | AssertionError e) {
            close();   // the caller's try-with-resources never got this node: nothing may stay behind
            throw e;
        }
    }

    private MomNode started(int steps, long wantedSession) throws Exception {
        // a job shell that ignores SIGHUP (as PBS's did in the live suite): only stopping it keeps it
        // from the lines after cr_run once the work is ended
        String script = "trap '' HUP; cd " + dir + " && " + RecordedPbs.HOME.resolve("bin/cr_run") + " python3 counting_job.py "
                + progress + " " + steps + " 0.2; echo script-went-on >> " + dir.resolve("after");
        ProcessBuilder builder = new ProcessBuilder(onVm(List.of("setsid", "setpriv", "--reuid=" + uid, "--regid=" + gid,
                "--init-groups", "env", "-i", "PATH=/usr/bin:/bin", "HOME=" + dir, "PBS_JOBID=" + JOB,
                "PBS_ENVIRONMENT=PBS_BATCH", "PBS_O_WORKDIR=" + dir, "CRYO_CHECKPOINT_DIR=" + catalog, "sh", "-c", script)))
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("job.out").toFile()))
                .redirectErrorStream(true);
        for (int attempt = 0; ; attempt++) {
            if (wantedSession > 0) {
                // a busy node hands out every PID in turn: wait (bounded) until that one is free again
                poll("PID " + wantedSession + " (the recorded session) is free on this node", 120,
                        () -> !Files.exists(Path.of("/proc", Long.toString(wantedSession))));
            }
            job = wantedSession > 0 ? startWithPid(builder, wantedSession) : builder.start();
            if (wantedSession == 0 || job.pid() == wantedSession || attempt > 50) {
                break;
            }
            job.destroyForcibly();
            job.waitFor(10, TimeUnit.SECONDS);
        }
        session = job.pid();   // setsid in a child that leads no group: no fork, the shell leads the session
        if (wantedSession > 0) {
            assertEquals(wantedSession, session, "the job's session is the recorded one");
        }
        poll("cr_run records the work", 60, () -> Files.exists(catalog.resolve(JOB).resolve("process")) && steps() >= 2);
        return this;
    }

    /**
     * Starts the job's shell with PID {@code wanted} (if the machine hands out no other PID in the
     * meantime), then puts the PID cursor back where it was: left at {@code wanted}, everything
     * running beside this test would get PIDs that restarts (Cryo's tests, the console's, the
     * Slurm suites') are about to take back with clone3, and fail on them.
     */
    private static Process startWithPid(ProcessBuilder builder, long wanted) throws IOException {
        Path lastPid = Path.of("/proc/sys/kernel/ns_last_pid");
        String before = Files.readString(lastPid).trim();
        Files.writeString(lastPid, Long.toString(wanted - 1));
        try {
            return builder.start();
        } finally {
            Files.writeString(lastPid, before);
        }
    }

    /** The STEP numbers the work has written so far. */
    List<Integer> stepList() throws IOException {
        List<Integer> steps = new ArrayList<>();
        if (Files.exists(progress)) {
            for (String line : Files.readAllLines(progress)) {
                if (line.startsWith("STEP ")) {
                    steps.add(Integer.parseInt(line.split(" ")[1]));
                }
            }
        }
        return steps;
    }

    int steps() throws IOException {
        List<Integer> steps = stepList();
        return steps.isEmpty() ? 0 : steps.get(steps.size() - 1);
    }

    long starts() throws IOException {
        return Files.exists(progress) ? Files.readAllLines(progress).stream().filter(l -> l.startsWith("START")).count() : 0;
    }

    /** The live (not zombie) processes in the job's session, with their uids. */
    Map<Long, Integer> liveMembers() throws IOException {
        if (session <= 1) {
            throw new IllegalStateException("no job started");
        }
        Map<Long, Integer> members = new HashMap<>();
        try (var procs = Files.list(Path.of("/proc"))) {
            for (Path p : procs.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
                try {
                    String stat = Files.readString(p.resolve("stat"));
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    if (Long.parseLong(f[3]) == session && !f[0].equals("Z")) {
                        members.put(Long.parseLong(p.getFileName().toString()), (Integer) Files.getAttribute(p, "unix:uid"));
                    }
                } catch (IOException | RuntimeException gone) {
                    // ended meanwhile
                }
            }
        }
        return members;
    }

    /** What the MoM runs: the action with %jobid %sid %taskid %path %uid %gid %login %owner. */
    Result action(String event, long sid, Map<String, String> extra) throws Exception {
        String sidArg = event.equals("restart") ? "-" + sid : Long.toString(sid);
        return mom(extra, event, JOB, sidArg, "1", "/var/spool/pbs/checkpoint/" + JOB + ".CK/00000001",
                Integer.toString(uid), Integer.toString(gid), USER, USER + "@vm");
    }

    Result action(String event) throws Exception {
        return action(event, session, Map.of());
    }

    /** bin/cryo-pbs-action ARGS as the MoM runs it: root, the MoM's environment only, fds 0-2 closed. */
    Result mom(Map<String, String> extra, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("env", "-i"));
        Map<String, String> env = new HashMap<>(Map.of("UID", Integer.toString(uid), "GID", Integer.toString(gid),
                "HOME", dir.toString(), "LOGNAME", USER, "USER", USER, "SHELL", "/bin/sh", "PBS_JOBID", JOB,
                "PBS_JOBNAME", "ckjob", "PBS_QUEUE", "workq", "PBS_SID", args.length > 2 ? args[2] : ""));
        env.put("PBS_JOBCOOKIE", "0123456789ABCDEF");
        env.put("PBS_MOMPORT", "15003");
        env.put("PBS_NODENUM", "0");
        env.put("PBS_TASKNUM", "1");
        // where the test's replayed clients, catalog and log are (a site sets CRYO_CHECKPOINT_DIR for its jobs)
        env.putAll(pbs.environment());
        env.put("CRYO_CHECKPOINT_DIR", catalog.toString());
        env.put("CRYO_PBS_ACTION_LOG", log.toString());
        env.put("CRYO_PBS_SETTLE", "no");
        env.putAll(extra);
        env.forEach((k, v) -> command.add(k + "=" + v));
        command.addAll(List.of("/bin/sh", "-c", "exec 0<&- 1>&- 2>&-; exec \"$@\"", "sh", ACTION.toString()));
        command.addAll(List.of(args));
        long lines = Files.readAllLines(log).size();
        Result result = exec(command);
        List<String> logged = Files.readAllLines(log);
        String line = logged.size() > lines ? logged.get(logged.size() - 1) : "";
        return new Result(result.status, line);
    }

    record Result(int status, String out) {
    }

    static String run(String... command) throws Exception {
        Result r = exec(List.of(command));
        assertEquals(0, r.status, String.join(" ", command) + ": " + r.out);
        return r.out;
    }

    /**
     * The recorded server runs its jobs on host vm: on a node named otherwise, each command of a
     * test runs in a UTS namespace of its own named vm (root may), where Cryo is on the job's node.
     */
    static List<String> onVm(List<String> command) {
        if (RECORDED_HOST.equals(org.cryo.scheduler.NodeExecutor.localHostName())) {
            return command;
        }
        List<String> full = new ArrayList<>(List.of("unshare", "--uts", "sh", "-c", "hostname " + RECORDED_HOST
                + " && exec \"$@\"", "sh"));
        full.addAll(command);
        return full;
    }

    static Result exec(List<String> command) throws Exception {
        Process p = new ProcessBuilder(onVm(command)).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(300, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail(command + " did not end");
        }
        return new Result(p.exitValue(), out);
    }

    interface Condition {
        boolean holds() throws Exception;
    }

    static void poll(String what, int seconds, Condition condition) throws Exception {
        long deadline = System.currentTimeMillis() + seconds * 1000L;
        while (!condition.holds()) {
            if (System.currentTimeMillis() > deadline) {
                fail(what + ": not within " + seconds + " s");
            }
            Thread.sleep(100);
        }
    }

    /** Ends the job and removes the files. */
    @Override
    public void close() throws Exception {
        stop();
        exec(List.of("rm", "-rf", dir.toString()));
    }

    /** Ends whatever of the job is left: the session's members and the job's shell. */
    void stop() throws Exception {
        if (session <= 1) {
            return;   // no job started: session 0 would be the kernel's and the init's
        }
        for (int i = 0; i < 50 && !liveMembers().isEmpty(); i++) {
            for (long pid : liveMembers().keySet()) {
                exec(List.of("kill", "-KILL", Long.toString(pid)));
            }
            Thread.sleep(100);
        }
        if (job != null) {
            job.destroyForcibly();
            job.waitFor(30, TimeUnit.SECONDS);
            job = null;
        }
    }
}
