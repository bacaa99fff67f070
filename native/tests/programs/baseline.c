/*
 * The smallest program that follows the protocol: no state of its own beyond
 * a checked global.  After the go it reports who it runs as
 * ("IDS uid R E S gid R E S"): the fault tests use that to see that a
 * context recorded from root never restarts as root for another user.
 * It checks that the restart left it no parent-death signal (the restorer
 * arms SIGKILL while it builds, and must put the recorded none back).
 */
#include "testlib.h"
#include <sys/prctl.h>

static volatile uint64_t marker = 0;

int main(int argc, char **argv)
{
	tl_init(argc, argv);
	marker = 0xc0ffee;
	tl_ready();
	tl_wait_go();
	uid_t ru, eu, su;
	gid_t rg, eg, sg;
	getresuid(&ru, &eu, &su);
	getresgid(&rg, &eg, &sg);
	tl_info("IDS uid %u %u %u gid %u %u %u", ru, eu, su, rg, eg, sg);
	TL_CHECK(marker == 0xc0ffee, "global marker %#lx", (unsigned long)marker);
	int pdeath = -1;
	prctl(PR_GET_PDEATHSIG, &pdeath);
	TL_CHECK(pdeath == 0, "parent-death signal %d after the restart", pdeath);
	return tl_finish();
}
