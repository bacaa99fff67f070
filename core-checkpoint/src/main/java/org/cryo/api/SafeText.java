package org.cryo.api;

/**
 * Strings that come from a context file, a job's catalog or any other file a user can write reach
 * an operator's terminal only through {@link #escape}: a control character (C0, DEL, C1) could move
 * the cursor, rewrite the screen or forge a line of output, and a bidirectional-override character
 * could make a path read as another.  Such characters become {@code \xNN} (below U+0100) or a
 * backslash, {@code u} and four hex digits.  A backslash is left as it is, so that escaping is
 * idempotent: a message escaped where it was made and again where it is printed reads the same.
 * The engine escapes its messages the same way (native/src/error.c).
 */
public final class SafeText {
    /** The most characters of one untrusted string that a one-line message shows. */
    public static final int MAX_LENGTH = 200;

    private SafeText() {
    }

    /** {@code text} with every control and formatting character escaped. */
    public static String escape(String text) {
        return escape(text, Integer.MAX_VALUE);
    }

    /** The same, cut after {@code maxLength} characters of output ("..." marks the cut). */
    public static String escape(String text, int maxLength) {
        if (text == null) {
            return "(none)";
        }
        StringBuilder out = new StringBuilder(Math.min(text.length(), maxLength) + 8);
        for (int i = 0; i < text.length(); i++) {
            if (out.length() >= maxLength) {
                return out.append("...").toString();
            }
            char c = text.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                out.append(String.format("\\x%02x", (int) c));
            } else if (Character.isISOControl(c) || Character.getType(c) == Character.FORMAT) {
                out.append(String.format("\\u%04x", (int) c));   // C1 controls, bidi overrides
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
