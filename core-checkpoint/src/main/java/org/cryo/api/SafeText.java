package org.cryo.api;

/**
 * Strings that come from a context file, a catalog file or any other place a user can write reach
 * an operator's terminal only through {@link #escape}: a control character (C0, DEL, C1) could move
 * the cursor, rewrite the screen or forge a line of output.  The engine escapes its messages the same
 * way (native/src/error.c).
 */
public final class SafeText {
    private SafeText() {
    }

    /** {@code s} with every control character written as {@code \xNN} (C1 controls as a backslash, u and four hex digits). */
    public static String escape(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder out = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean control = c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f);
            if (control && out == null) {
                out = new StringBuilder(s.length() + 16).append(s, 0, i);
            }
            if (out == null) {
                continue;
            }
            if (!control) {
                out.append(c);
            } else if (c < 0x80) {
                out.append(String.format("\\x%02x", (int) c));
            } else {
                out.append(String.format("\\u%04x", (int) c));
            }
        }
        return out == null ? s : out.toString();
    }
}
