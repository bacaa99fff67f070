/* cryo.conf, read once for the native tools (config.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "config.h"

#define SYSTEM_FILE "/etc/cryo/cryo.conf"
#define MAX_FILE_BYTES (64 * 1024)
#define MAX_VALUE 4096
#define MAX_NOTICES 16

static const struct cryo_config_key keys[] = {
	{ "checkpoint.compression", "CRYO_COMPRESSION", "none" },
	{ "files.deleted.max", "CRYO_DELETED_FILE_MAX", "67108864" },
	{ "files.hash.max", "CRYO_HASH_FILE_MAX", "67108864" },
	{ "files.shared.paths", "CRYO_SHARED_PATHS", NULL },
	{ "log.syslog", "CRYO_LOG_SYSLOG", "yes" },
	{ "log.syslog.socket", "CRYO_LOG_SOCKET", "/dev/log" },
	{ "log.file", "CRYO_LOG_FILE", NULL },
	{ "progress", "CRYO_PROGRESS", "auto" },
};
#define NR_KEYS (sizeof(keys) / sizeof(keys[0]))

struct setting {
	char *value;                /* from a file; NULL: none */
	char source[300];
};

static struct {
	int loaded;
	struct setting from_files[NR_KEYS];
	char notices[MAX_NOTICES][360];
	int nr_notices;
} conf;

static void notice(const char *fmt, const char *a, const char *b)
{
	if (conf.nr_notices < MAX_NOTICES)
		snprintf(conf.notices[conf.nr_notices++], sizeof(conf.notices[0]), fmt, a, b);
}

static int key_index(const char *key)
{
	for (size_t i = 0; i < NR_KEYS; i++)
		if (!strcmp(keys[i].key, key))
			return (int)i;
	return -1;
}

static char *strip(char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\r')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		s[--n] = 0;
	return s;
}

static int valid_key(const char *k)
{
	if (!(*k >= 'a' && *k <= 'z'))
		return 0;
	for (; *k; k++)
		if (!((*k >= 'a' && *k <= 'z') || (*k >= '0' && *k <= '9') || *k == '.' || *k == '_'))
			return 0;
	return 1;
}

static int valid_value(const char *v)
{
	if (strlen(v) > MAX_VALUE)
		return 0;
	for (; *v; v++)
		if ((unsigned char)*v < 0x20 || *v == 0x7f)
			return 0;
	return 1;
}

/* One line: blank, "# comment" or "key = value"; a known key's value replaces the earlier file's. */
static void apply_line(char *text, const char *path, int number)
{
	char where[300], *line = strip(text), *equals;
	snprintf(where, sizeof(where), "%s:%d", path, number);
	if (!*line || *line == '#')
		return;
	if (!(equals = strchr(line, '='))) {
		notice("%s: not 'key = value' (line ignored)%s", where, "");
		return;
	}
	*equals = 0;
	char *key = strip(line), *value = strip(equals + 1);
	if (!valid_key(key) || !valid_value(value)) {
		notice("%s: bad key or value of '%s' (line ignored)", where, valid_key(key) ? key : "?");
		return;
	}
	int i = key_index(key);
	if (i < 0)
		return;     /* a key of the Java core's (CryoConfig checks the whole file) */
	free(conf.from_files[i].value);
	/* "key =" sets the default again */
	conf.from_files[i].value = *value ? strdup(value) : NULL;
	snprintf(conf.from_files[i].source, sizeof(conf.from_files[i].source), "%s", where);
}

/* Why path is not to be trusted (NULL: it is): it must be a regular file of owner, not group/other-writable. */
static const char *distrust(const struct stat *st, uid_t owner)
{
	if (!S_ISREG(st->st_mode))
		return "not a regular file";
	if (st->st_uid != owner)
		return owner == 0 ? "not owned by root" : "not owned by you";
	if (st->st_mode & (S_IWGRP | S_IWOTH))
		return "writable by group or others";
	return NULL;
}

static void read_file(const char *path, uid_t owner)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		if (errno != ENOENT)
			notice("ignoring %s: %s", path, errno == ELOOP ? "a symbolic link" : strerror(errno));
		return;
	}
	const char *why = fstat(fd, &st) ? strerror(errno) : distrust(&st, owner);
	if (!why && st.st_size > MAX_FILE_BYTES)
		why = "too large";
	char *text = why ? NULL : malloc((size_t)st.st_size + 1);
	ssize_t n = text ? read(fd, text, (size_t)st.st_size) : -1;
	close(fd);
	if (why || n < 0) {
		notice("ignoring %s: %s", path, why ? why : "cannot read it");
		free(text);
		return;
	}
	text[n] = 0;
	int number = 1;
	for (char *line = text, *next; line; line = next, number++) {
		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		apply_line(line, path, number);
	}
	free(text);
}

/* The user's file: only for a process acting as itself (real uid = effective uid). */
static int user_file(char *out, size_t size)
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	if (getuid() != geteuid())
		return -1;
	if (xdg && *xdg == '/')
		return snprintf(out, size, "%s/cryo/cryo.conf", xdg) >= (int)size ? -1 : 0;
	if (home && *home == '/')
		return snprintf(out, size, "%s/.config/cryo/cryo.conf", home) >= (int)size ? -1 : 0;
	return -1;
}

static void load(void)
{
	char path[4096];
	const char *system = getenv("CRYO_CONFIG");
	if (conf.loaded)
		return;
	conf.loaded = 1;
	read_file(system && *system ? system : SYSTEM_FILE, 0);
	if (!user_file(path, sizeof(path)))
		read_file(path, geteuid());
}

const char *cryo_config_value(const char *key, const char **source)
{
	int i = key_index(key);
	if (i < 0)
		return NULL;
	load();
	const char *env = getenv(keys[i].variable);
	if (env && *env) {
		if (source)
			*source = "environment";
		return env;
	}
	if (conf.from_files[i].value) {
		if (source)
			*source = conf.from_files[i].source;
		return conf.from_files[i].value;
	}
	if (source)
		*source = "default";
	return NULL;
}

uint64_t cryo_config_bytes(const char *key, uint64_t dflt)
{
	const char *v = cryo_config_value(key, NULL);
	char *end;
	if (!v || *v < '0' || *v > '9')
		return dflt;
	errno = 0;
	unsigned long long n = strtoull(v, &end, 10);
	if (errno || end == v)
		return dflt;
	switch (*end) {
	case 'G': case 'g': n <<= 10; /* fall through */
	case 'M': case 'm': n <<= 10; /* fall through */
	case 'K': case 'k': n <<= 10; end++;
	}
	return *end ? dflt : n;
}

int cryo_config_yes(const char *key, int dflt)
{
	const char *v = cryo_config_value(key, NULL);
	if (!v)
		return dflt;
	return !strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "1") || !strcmp(v, "on");
}

void cryo_config_print(FILE *out)
{
	for (size_t i = 0; i < NR_KEYS; i++) {
		const char *source, *v = cryo_config_value(keys[i].key, &source);
		fprintf(out, "%s\t%s\t%s\t%s\n", keys[i].key, v ? v : keys[i].default_value ? keys[i].default_value : "",
			source, keys[i].variable);
	}
	for (int i = 0; i < conf.nr_notices; i++)
		fprintf(out, "# %s\n", conf.notices[i]);
}

void cryo_config_reset(void)
{
	for (size_t i = 0; i < NR_KEYS; i++) {
		free(conf.from_files[i].value);
		conf.from_files[i].value = NULL;
	}
	conf.nr_notices = 0;
	conf.loaded = 0;
}
