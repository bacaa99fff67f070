/*
 * no_tmpfile COMMAND [ARGS...]: runs COMMAND where open(O_TMPFILE) fails
 * with EOPNOTSUPP, as it does on a file system without O_TMPFILE (vfat,
 * NFS before 4.2, many FUSE file systems).  None of those can be mounted on
 * the test machine (no vfat or minix in its kernel), so a seccomp filter,
 * inherited by everything COMMAND starts, gives the engine the same answer
 * the file system would: ImageTempFileTest uses it for the engine's named
 * temporary files.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The kernel's bit of its own (glibc's __O_TMPFILE also has O_DIRECTORY in it) */
#define TMPFILE_BIT 020000000

static int refuse_tmpfile(void)
{
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat, 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[2])),
		BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, TMPFILE_BIT, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EOPNOTSUPP),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(code) / sizeof(code[0]), .filter = code };
	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) ? -1 : 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: no_tmpfile COMMAND [ARGS...]\n");
		return 2;
	}
	if (refuse_tmpfile()) {
		perror("no_tmpfile: seccomp");
		return 125;
	}
	execvp(argv[1], argv + 1);
	perror("no_tmpfile: exec");
	return 127;
}
