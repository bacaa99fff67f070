/*
 * The audit login uid: set (as root) to 4242, which the restarter does not
 * have, and read back after the restart.
 */
#include "testlib.h"

#define LOGINUID 4242u

static unsigned read_loginuid(void)
{
	char buf[32] = "";
	if (tl_read_file("/proc/self/loginuid", buf, sizeof(buf) - 1) <= 0)
		return 0;
	return (unsigned)strtoul(buf, NULL, 10);
}

int main(int argc, char **argv)
{
	tl_init(argc, argv);
	FILE *f = fopen("/proc/self/loginuid", "w");
	TL_CHECK(f && fprintf(f, "%u", LOGINUID) > 0 && fclose(f) == 0, "cannot set loginuid: %s", strerror(errno));
	TL_CHECK(read_loginuid() == LOGINUID, "loginuid %u after setting %u", read_loginuid(), LOGINUID);

	tl_ready();
	tl_wait_go();

	TL_CHECK(read_loginuid() == LOGINUID, "loginuid %u, was %u", read_loginuid(), LOGINUID);
	return tl_finish();
}
