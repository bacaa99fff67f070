/*
 * A set-id process: real uid 65534, effective and saved uid 0 (what a
 * set-user-ID root binary run by nobody looks like).  The engine must refuse
 * to checkpoint it and leave it running; it then passes its own check.
 */
#include "testlib.h"

int main(int argc, char **argv)
{
	tl_init(argc, argv);
	if (setresuid(65534, 0, 0) != 0) {
		tl_fail("setresuid: %s (must run as root)", strerror(errno));
		return 1;
	}
	uid_t r, e, s;
	getresuid(&r, &e, &s);
	tl_ready();
	tl_wait_go();
	uid_t r2, e2, s2;
	getresuid(&r2, &e2, &s2);
	TL_CHECK(r2 == r && e2 == e && s2 == s && r2 != e2, "uids %u %u %u, were %u %u %u", r2, e2, s2, r, e, s);
	return tl_finish();
}
