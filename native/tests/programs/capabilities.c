/*
 * Capabilities of a root process that gave most of them up: permitted and
 * effective CAP_CHOWN and CAP_NET_BIND_SERVICE, inheritable and ambient
 * CAP_CHOWN, CAP_SYS_ADMIN and CAP_SYS_BOOT out of the bounding set.  Run
 * as root.  All five sets must read the same after the restart (a restart
 * that handed the restarter's back would show the full sets).
 */
#include "testlib.h"
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

static void read_sets(char *out, size_t size)
{
	char buf[8192] = "";
	out[0] = 0;
	if (tl_read_file("/proc/self/status", buf, sizeof(buf) - 1) <= 0)
		return;
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
		if (strncmp(line, "Cap", 3) == 0) {
			strncat(out, line, size - strlen(out) - 2);
			strcat(out, " ");
		}
}

int main(int argc, char **argv)
{
	tl_init(argc, argv);
	const uint32_t keep = (1u << CAP_CHOWN) | (1u << CAP_NET_BIND_SERVICE);
	TL_CHECK(prctl(PR_CAPBSET_DROP, CAP_SYS_ADMIN, 0, 0, 0) == 0, "drop CAP_SYS_ADMIN from the bounding set: %s", strerror(errno));
	TL_CHECK(prctl(PR_CAPBSET_DROP, CAP_SYS_BOOT, 0, 0, 0) == 0, "drop CAP_SYS_BOOT from the bounding set: %s", strerror(errno));
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2] = { { keep, keep, 1u << CAP_CHOWN }, { 0, 0, 0 } };
	TL_CHECK(syscall(SYS_capset, &h, d) == 0, "capset: %s", strerror(errno));
	TL_CHECK(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_CHOWN, 0, 0) == 0, "ambient CAP_CHOWN: %s", strerror(errno));
	char before[512], after[512];
	read_sets(before, sizeof(before));
	TL_CHECK(strstr(before, "CapEff:\t0000000000000401"), "capabilities not as set: %s", before);

	tl_ready();
	tl_wait_go();

	read_sets(after, sizeof(after));
	TL_CHECK(strcmp(before, after) == 0, "capabilities are [%s], were [%s]", after, before);
	TL_CHECK(prctl(PR_CAPBSET_READ, CAP_SYS_ADMIN, 0, 0, 0) == 0, "CAP_SYS_ADMIN is back in the bounding set");
	return tl_finish();
}
