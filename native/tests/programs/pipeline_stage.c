/*
 * One stage of a shell pipeline `pipeline_stage GO produce | pipeline_stage GO consume`
 * run as a job of its own (a process group whose parent, the shell, stays
 * out): the producer writes numbered lines, pausing for the go file half
 * way; the consumer checks every line arrives once and in order, prints
 * READY (with its PID) once it has the first half, and PASS at the end.
 */
#include "testlib.h"

#define LINES 200

int main(int argc, char **argv)
{
	tl_init(argc, argv);
	if (argc > 2 && !strcmp(argv[2], "produce")) {
		for (int i = 1; i <= LINES; i++) {
			if (i == LINES / 2 + 1)
				tl_wait_go();
			printf("%d\n", i);
			fflush(stdout);
		}
		return 0;
	}
	char line[64];
	int expect = 1;
	while (fgets(line, sizeof(line), stdin)) {
		if (atoi(line) != expect)
			tl_fail("line %d where %d was due", atoi(line), expect);
		if (expect == LINES / 2) {
			fprintf(stderr, "consumer has the first half\n");
			tl_ready();
		}
		expect++;
	}
	if (expect != LINES + 1)
		tl_fail("%d lines, not %d", expect - 1, LINES);
	return tl_finish();
}
