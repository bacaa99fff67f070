/*
 * The mm fields the kernel shows about a process: the command line and
 * environment (/proc/self/cmdline, /proc/self/environ, argv[], getenv), the
 * auxiliary vector (getauxval and /proc/self/auxv), the code/data/brk/stack
 * bounds in /proc/self/stat, the vdso at AT_SYSINFO_EHDR, and
 * /proc/self/exe.  The harness starts it with extra arguments and the
 * environment variable CRYO_TEST_VAR=cryo-value-42.
 */
#include "testlib.h"
#include <elf.h>
#include <limits.h>
#include <sys/auxv.h>

#define BUF 65536

static char cmdline[BUF], environ_[BUF], auxv[BUF], exe[PATH_MAX], stat_mm[1024];
static ssize_t cmdline_len, environ_len, auxv_len;
static unsigned char at_random[16];

static const unsigned long aux_types[] = {
	AT_PAGESZ, AT_RANDOM, AT_SYSINFO_EHDR, AT_PHDR, AT_PHNUM, AT_ENTRY, AT_BASE,
	AT_HWCAP, AT_HWCAP2, AT_CLKTCK, AT_EXECFN, AT_PLATFORM, AT_UID, AT_EUID,
	AT_SECURE, AT_MINSIGSTKSZ,
};
#define NR_AUX (sizeof(aux_types) / sizeof(aux_types[0]))
static unsigned long aux_values[NR_AUX];

/* Fields 26-28 and 45-51 of /proc/self/stat: the mm layout PR_SET_MM_MAP restores. */
static void read_stat_mm(char *out, size_t size)
{
	char buf[4096];
	ssize_t n = tl_read_file("/proc/self/stat", buf, sizeof(buf) - 1);
	out[0] = 0;
	if (n <= 0)
		return;
	buf[n] = 0;
	char *p = strrchr(buf, ')');    /* comm may contain spaces */
	if (!p)
		return;
	int field = 2;
	size_t used = 0;
	for (char *tok = strtok(p + 1, " \n"); tok; tok = strtok(NULL, " \n")) {
		field++;
		if ((field >= 26 && field <= 28) || (field >= 45 && field <= 51))
			used += snprintf(out + used, size - used, "%d=%s ", field, tok);
	}
}

int main(int argc, char **argv)
{
	tl_init(argc, argv);
	cmdline_len = tl_read_file("/proc/self/cmdline", cmdline, BUF);
	environ_len = tl_read_file("/proc/self/environ", environ_, BUF);
	auxv_len = tl_read_file("/proc/self/auxv", auxv, BUF);
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = 0;
	for (size_t i = 0; i < NR_AUX; i++)
		aux_values[i] = getauxval(aux_types[i]);
	memcpy(at_random, (void *)getauxval(AT_RANDOM), 16);
	read_stat_mm(stat_mm, sizeof(stat_mm));
	const char *var = getenv("CRYO_TEST_VAR");

	tl_ready();
	tl_wait_go();

	static char buf[BUF];
	n = tl_read_file("/proc/self/cmdline", buf, BUF);
	TL_CHECK(n == cmdline_len && memcmp(buf, cmdline, n) == 0, "/proc/self/cmdline changed");
	n = tl_read_file("/proc/self/environ", buf, BUF);
	TL_CHECK(n == environ_len && memcmp(buf, environ_, n) == 0, "/proc/self/environ changed");
	n = tl_read_file("/proc/self/auxv", buf, BUF);
	TL_CHECK(n == auxv_len && memcmp(buf, auxv, n) == 0, "/proc/self/auxv changed");
	for (size_t i = 0; i < NR_AUX; i++)
		TL_CHECK(getauxval(aux_types[i]) == aux_values[i], "getauxval(%lu) = %#lx, was %#lx",
			 aux_types[i], getauxval(aux_types[i]), aux_values[i]);
	TL_CHECK(memcmp((void *)getauxval(AT_RANDOM), at_random, 16) == 0, "AT_RANDOM bytes changed");
	const unsigned char *vdso = (const unsigned char *)getauxval(AT_SYSINFO_EHDR);
	TL_CHECK(vdso && memcmp(vdso, ELFMAG, SELFMAG) == 0, "no ELF header at AT_SYSINFO_EHDR");

	char stat_now[1024];
	read_stat_mm(stat_now, sizeof(stat_now));
	TL_CHECK(strcmp(stat_now, stat_mm) == 0, "mm fields in /proc/self/stat: '%s', were '%s'",
		 stat_now, stat_mm);

	char exe_now[PATH_MAX];
	n = readlink("/proc/self/exe", exe_now, sizeof(exe_now) - 1);
	exe_now[n > 0 ? n : 0] = 0;
	TL_CHECK(strcmp(exe_now, exe) == 0, "/proc/self/exe is '%s', was '%s'", exe_now, exe);
	TL_CHECK(strcmp(exe, "") != 0 && strstr(exe, "mm_fields") != NULL, "/proc/self/exe '%s' is not mm_fields", exe);

	TL_CHECK(var && strcmp(var, "cryo-value-42") == 0, "getenv(CRYO_TEST_VAR) at start: %s", var ? var : "(null)");
	const char *again = getenv("CRYO_TEST_VAR");
	TL_CHECK(again && strcmp(again, "cryo-value-42") == 0, "getenv(CRYO_TEST_VAR) after restart: %s",
		 again ? again : "(null)");
	TL_CHECK(argc >= 4 && strcmp(argv[2], "alpha") == 0 && strcmp(argv[3], "beta gamma") == 0,
		 "argv[] changed");

	/* Keeps working: the environment can grow. */
	setenv("CRYO_NEW_VAR", "fresh", 1);
	TL_CHECK(strcmp(getenv("CRYO_NEW_VAR"), "fresh") == 0, "setenv after restart");
	return tl_finish();
}
