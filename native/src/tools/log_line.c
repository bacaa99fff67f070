/*
 * One line per checkpoint and restart, to syslog (the journal takes /dev/log
 * too) and, when log.file is set, to a file: never to the terminal.  Every
 * line names the job (CRYO_JOB_ID, set by the Java workflows, else the
 * scheduler's own variable the job's processes carry), the process and the
 * context file, so that an administrator can grep a job's history.  Best
 * effort: no syslog socket (a container) or an unwritable file loses the
 * line, never the checkpoint.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include "commands.h"
#include "config.h"

#define LOG_USER_NOTICE 13          /* facility user (1) * 8 + notice (5) */
#define LOG_USER_ERR 11             /* user * 8 + err (3) */

/* The job this process works for: the id Cryo passed, else the one its scheduler set; "-" if none. */
static const char *job_id(void)
{
	static const char *names[] = { "CRYO_JOB_ID", "SLURM_JOB_ID", "PBS_JOBID", "JOB_ID" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const char *v = getenv(names[i]);
		if (v && *v && strlen(v) < 64 && !strpbrk(v, " \t\n\r"))
			return v;
	}
	return "-";
}

/* Control characters in a path or message would forge lines: they become '?'. */
static void sanitize(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

static void to_syslog(int priority, const char *prog, const char *text)
{
	const char *path = cryo_config_value("log.syslog.socket", NULL);
	struct sockaddr_un to = { .sun_family = AF_UNIX };
	char datagram[1400], stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	if (!cryo_config_yes("log.syslog", 1))
		return;
	snprintf(to.sun_path, sizeof(to.sun_path), "%s", path ? path : "/dev/log");
	strftime(stamp, sizeof(stamp), "%b %e %H:%M:%S", localtime_r(&now, &tm));
	int n = snprintf(datagram, sizeof(datagram), "<%d>%s cryo[%d]: %s: %s", priority, stamp, (int)getpid(), prog, text);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	if (n > (int)sizeof(datagram) - 1)
		n = sizeof(datagram) - 1;
	(void)!sendto(fd, datagram, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *)&to, sizeof(to));
	close(fd);
}

static void to_file(const char *prog, const char *text)
{
	const char *path = cryo_config_value("log.file", NULL);
	char line[1400], stamp[40], host[256] = "";
	time_t now = time(NULL);
	struct tm tm;
	if (!path || !*path)
		return;
	gethostname(host, sizeof(host) - 1);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S%z", localtime_r(&now, &tm));
	int n = snprintf(line, sizeof(line), "%s %s cryo[%d]: %s: %s\n", stamp, host, (int)getpid(), prog, text);
	if (n > (int)sizeof(line) - 1)
		n = sizeof(line) - 1, line[n - 1] = '\n';
	/* O_APPEND: lines of concurrent checkpoints stay whole; no link followed at the last step */
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0640);
	if (fd < 0)
		return;
	(void)!write(fd, line, (size_t)n);
	close(fd);
}

void log_event(const char *prog, int failed, pid_t pid, const char *file, const char *fmt, ...)
{
	char what[1024], text[1300];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	char cwd[512] = "";
	if (file && *file && *file != '/' && *file != '(' && getcwd(cwd, sizeof(cwd) - 1))
		strcat(cwd, "/");        /* a relative context file, as the administrator will look for it */
	snprintf(text, sizeof(text), "job=%s pid=%d file=%s%s %s", job_id(), (int)pid, cwd, file && *file ? file : "-",
		 what);
	sanitize(text);
	to_syslog(failed ? LOG_USER_ERR : LOG_USER_NOTICE, prog, text);
	to_file(prog, text);
}
