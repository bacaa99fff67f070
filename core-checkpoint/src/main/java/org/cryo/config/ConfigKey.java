package org.cryo.config;

/**
 * One setting of {@code cryo.conf}: its key in the file, the environment variable that overrides
 * it (and that the code reading the setting has always read), its default as documented, and
 * whether the native tools read it too (native/src/config.c holds the same key and variable).
 */
public record ConfigKey(String key, String variable, String defaultValue, boolean nativeToo, String description) {
}
