package org.cryo.config;

import java.util.Optional;
import java.util.regex.Pattern;

/** One line of cryo.conf: {@code key = value}, {@code # comment} or blank.  Same rules as native/src/config.c. */
record ConfigLine(String key, String value) {
    private static final Pattern KEY = Pattern.compile("[a-z][a-z0-9._]*");

    /** The setting on {@code text}, empty for a blank or comment line; a malformed line throws. */
    static Optional<ConfigLine> parse(String text) {
        String line = text.strip();
        if (line.isEmpty() || line.startsWith("#")) {
            return Optional.empty();
        }
        int equals = line.indexOf('=');
        if (equals < 0) {
            throw new IllegalArgumentException("not 'key = value'");
        }
        String key = line.substring(0, equals).strip();
        String value = line.substring(equals + 1).strip();
        if (!KEY.matcher(key).matches()) {
            throw new IllegalArgumentException("bad key '" + org.cryo.api.SafeText.escape(key) + "'");
        }
        if (value.length() > CryoConfig.MAX_VALUE_LENGTH || value.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            throw new IllegalArgumentException("value of " + key + " too long or with control characters");
        }
        return Optional.of(new ConfigLine(key, value));
    }
}
