package org.cryo.pbs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A PBS installation whose clients replay the outputs recorded from a real OpenPBS 23.06.06
 * (src/test/resources/recorded, copied from the reference captures with their README): a test
 * names the recorded files it serves, and each client call is answered by the recording whose
 * command line (as the README lists it, with its user and exit status) is the call's; stdout when
 * it succeeded, stderr when it failed (what the PBS clients do), or the separately recorded
 * streams where the capture kept them apart.  A recording can be served only after a given call
 * (the job's record after the qhold).  A call nobody recorded exits 99: nothing is made up.
 */
final class RecordedPbs implements AutoCloseable {
    static final Path HOME = Path.of(System.getProperty("cryo.home", ".."));
    static final Path RECORDED = HOME.resolve("plugin-pbs/src/test/resources/recorded");
    private static final Path REPLAYER = HOME.resolve("plugin-pbs/src/test/resources/replay/replay.sh");
    private static final List<String> CLIENTS = List.of("qstat", "qhold", "qrls", "qrerun", "qsig", "qalter",
            "pbsnodes", "qmgr", "qdel");

    /** One row of the README: the file, who ran it, its exit status and the exact command. */
    record Recording(String file, String user, int status, String command) {
    }

    private static Map<String, Recording> index;

    final Path dir;
    private final Path table;

    RecordedPbs() throws IOException {
        dir = Files.createTempDirectory("cryo-pbs-replay-", PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwxr-xr-x")));
        Path bin = Files.createDirectory(dir.resolve("bin"));
        table = dir.resolve("table");
        Files.writeString(table, "");
        Files.writeString(dir.resolve("table.calls"), "");
        for (String client : CLIENTS) {
            Path script = bin.resolve(client);
            Files.writeString(script, "#!/bin/sh\nexec /bin/sh " + REPLAYER + " " + table + " " + client + " \"$@\"\n");
            Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        Files.setPosixFilePermissions(table, PosixFilePermissions.fromString("rw-r--r--"));
        Files.setPosixFilePermissions(dir.resolve("table.calls"), PosixFilePermissions.fromString("rw-rw-rw-"));
    }

    /** The README's rows, by file. */
    static synchronized Map<String, Recording> index() throws IOException {
        if (index == null) {
            Map<String, Recording> rows = new HashMap<>();
            for (String line : Files.readAllLines(RECORDED.resolve("README.md"))) {
                String[] cells = line.split("\\|", -1);
                if (cells.length >= 5 && cells[1].strip().startsWith("`") && cells[3].strip().matches("\\d+")) {
                    String file = cells[1].strip().replace("`", "");
                    String command = String.join("|", List.of(cells).subList(4, cells.length - 1)).strip();
                    rows.put(file, new Recording(file, cells[2].strip(), Integer.parseInt(cells[3].strip()),
                            words(command.replaceAll("^`|`$", ""))));
                }
            }
            index = rows;
        }
        return index;
    }

    /** A shell command line as the words a program gets, joined by single spaces (quotes removed). */
    static String words(String command) {
        List<String> words = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        char quote = 0;
        boolean inWord = false;
        for (char c : command.toCharArray()) {
            if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                } else {
                    word.append(c);
                }
            } else if (c == '"' || c == '\'') {
                quote = c;
                inWord = true;
            } else if (c == ' ') {
                if (inWord) {
                    words.add(word.toString());
                    word.setLength(0);
                    inWord = false;
                }
            } else {
                word.append(c);
                inWord = true;
            }
        }
        if (inWord) {
            words.add(word.toString());
        }
        return String.join(" ", words);
    }

    static Recording recording(String file) throws IOException {
        Recording r = index().get(file);
        if (r == null) {
            throw new IllegalArgumentException("no recording " + file + " in the README");
        }
        return r;
    }

    /** Serves {@code file} for the command line it was recorded with. */
    RecordedPbs serve(String file) throws IOException {
        Recording r = recording(file);
        return row(r.command(), r, "-");
    }

    /** Serves {@code file} for its recorded command line once {@code call} was made (the state it left). */
    RecordedPbs serveAfter(String call, String file) throws IOException {
        Recording r = recording(file);
        return row(r.command(), r, call);
    }

    /**
     * Serves {@code file} for {@code commandLine}, another spelling of its recorded command that
     * PBS answers the same way ({@code why} says why); the test names each such use.
     */
    RecordedPbs serveFor(String commandLine, String file, String why) throws IOException {
        if (why == null || why.isBlank()) {
            throw new IllegalArgumentException("say why " + file + " answers " + commandLine);
        }
        return row(commandLine, recording(file), "-");
    }

    private RecordedPbs row(String commandLine, Recording r, String after) throws IOException {
        Path file = RECORDED.resolve(r.file());
        String base = r.file().replaceFirst("\\.txt$", "");
        Path out = RECORDED.resolve(base + ".stdout.txt");
        Path err = RECORDED.resolve(base + ".stderr.txt");
        String stdout;
        String stderr;
        if (Files.exists(out) && Files.exists(err)) {
            stdout = out.toString();
            stderr = err.toString();
        } else {
            stdout = r.status() == 0 ? file.toString() : "-";
            stderr = r.status() == 0 ? "-" : file.toString();
        }
        Files.writeString(table, commandLine + "\t" + stdout + "\t" + stderr + "\t" + r.status() + "\t" + after + "\n",
                java.nio.file.StandardOpenOption.APPEND);
        return this;
    }

    /** The calls the clients got, in order. */
    List<String> calls() throws IOException {
        return Files.readAllLines(dir.resolve("table.calls"));
    }

    /** The environment that points PBS_EXEC at these clients. */
    Map<String, String> environment() {
        Map<String, String> env = new HashMap<>();
        env.put("PBS_EXEC", dir.toString());
        return env;
    }

    PbsAdapter adapter() {
        return adapter(environment());
    }

    PbsAdapter adapter(Map<String, String> environment) {
        return new PbsAdapterProvider().create(environment);
    }

    PbsCommands commands() {
        return PbsCommands.configured(environment());
    }

    @Override
    public void close() throws IOException {
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
