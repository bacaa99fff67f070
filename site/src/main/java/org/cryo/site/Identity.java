package org.cryo.site;

/**
 * Who is asking, and how the console knows: a Slurm JWT ({@code jwt}), the trusted reverse proxy's
 * user header ({@code proxy}), or a session cookie made from one of those ({@code session}).
 * A request with a cookie or through the proxy carries credentials the browser adds by itself,
 * so its actions need the session's CSRF token too ({@link #ambient}).
 */
record Identity(String user, String how, String session) {
    /** Unix user names as Slurm and shadow's useradd accept them. */
    static boolean validUserName(String name) {
        return name != null && name.matches("[a-z_][a-z0-9_.-]{0,31}\\$?");
    }

    /** Credentials the browser sends by itself (cookie, proxy): actions need the CSRF token. */
    boolean ambient() {
        return !how.equals("jwt");
    }
}
