package org.cryo.scheduler;

/**
 * Text that came from a job's catalog (or another file the job's user controls) on its way into a
 * message: control and formatting characters become {@code \xNN} (or {@code \\uNNNN}), so a planted
 * escape sequence or newline cannot rewrite an administrator's terminal or forge a second line,
 * and it is cut to a length that keeps the message one readable line.
 */
public final class CatalogText {
    /** The most characters of one catalog string a message shows. */
    public static final int MAX_LENGTH = 200;

    private CatalogText() {
    }

    /** {@code text} with control characters escaped, cut to {@link #MAX_LENGTH} characters. */
    public static String escaped(String text) {
        return escaped(text, MAX_LENGTH);
    }

    public static String escaped(String text, int maxLength) {
        if (text == null) {
            return "(none)";
        }
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < text.length(); i++) {
            if (out.length() >= maxLength) {
                return out.append("...").toString();
            }
            char c = text.charAt(i);
            if (c < 0x20 || c == 0x7f || c == '\\') {
                out.append(c == '\\' ? "\\\\" : String.format("\\x%02x", (int) c));
            } else if (Character.isISOControl(c) || Character.getType(c) == Character.FORMAT) {
                out.append(String.format("\\u%04x", (int) c));   // C1 controls, bidi overrides
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
