/*
 * cryo.conf for the native tools: the same files, order, format and trust
 * rules as the Java core's org.cryo.config.CryoConfig (docs/CONFIG.md):
 * /etc/cryo/cryo.conf (or $CRYO_CONFIG), then the user's
 * $XDG_CONFIG_HOME/cryo/cryo.conf (~/.config/cryo/cryo.conf), then the
 * key's environment variable.  Only the keys the native tools read are here.
 */
#ifndef CRYO_CONFIG_H
#define CRYO_CONFIG_H

#include <stdint.h>
#include <stdio.h>

struct cryo_config_key {
	const char *key;            /* as in cryo.conf */
	const char *variable;       /* the environment variable that overrides it */
	const char *default_value;  /* as docs/CONFIG.md says; NULL: none */
};

/* The effective value of key (NULL: unset, the caller's default applies);
 * *source (may be NULL) says where it came from.  The files are read once. */
const char *cryo_config_value(const char *key, const char **source);

/* A size in bytes (with an optional K, M or G suffix), or dflt when unset or malformed. */
uint64_t cryo_config_bytes(const char *key, uint64_t dflt);

/* Is key "yes"/"true"/"1" (or, when unset, dflt)? */
int cryo_config_yes(const char *key, int dflt);

/* `cryo-engine config`: every native key, its value and its source, one a line;
 * then each file ignored and line refused. */
void cryo_config_print(FILE *out);

/* Forget what was read (tests that change the environment). */
void cryo_config_reset(void);

#endif
