#include "inject.h"
#include "error.h"
#include "tracer.h"

#include <cpuid.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/wait.h>

#define SYSCALL_STOP (SIGTRAP | 0x80)

/* ---- fault injection, for tests (as CRIU's CRIU_FAULT) ----
 * CRYO_FAULT_KILL_ENGINE=N:STAGE makes the engine SIGKILL itself at STAGE of
 * its Nth injected call (N from 1): "set" (registers and mask set, thread not
 * yet resumed), "entry" (at the syscall-entry stop), "exit" (at the exit
 * stop), "mask" (its own mask put back, not yet its registers).  Those are
 * the moments a real SIGKILL to the engine can land inside a call. */
enum fault_stage { STAGE_SET = 1, STAGE_ENTRY, STAGE_EXIT, STAGE_MASK };

static long injected_calls;

static int fault_point(enum fault_stage stage)
{
	static int parsed;
	static long at_call;
	static int at_stage;
	static const char *const names[] = { "", "set", "entry", "exit", "mask" };
	if (!parsed) {
		const char *v = getenv("CRYO_FAULT_KILL_ENGINE");
		char name[8] = "";
		parsed = 1;
		if (v && sscanf(v, "%ld:%7s", &at_call, name) == 2)
			for (int i = STAGE_SET; i <= STAGE_MASK; i++)
				if (strcmp(name, names[i]) == 0)
					at_stage = i;
	}
	if (at_stage == (int)stage && at_call == injected_calls)
		kill(getpid(), SIGKILL);
	return 0;
}

/* ---- the guard: a signal frame to return through if the engine dies mid-call ---- */

#define XSAVE_MAX (64 * 1024)
#define XSAVE_SW_BYTES 464      /* fxsave's software bytes: XCR0 from ptrace, _fpx_sw_bytes in a frame */
#define XSAVE_HEADER 512
#define XSAVE_MIN (XSAVE_HEADER + 64)
#define FP_XSTATE_MAGIC1 0x46505853U
#define FP_XSTATE_MAGIC2 0x46505845U
#define XFEATURE_XTILE_DATA 18
#define UC_FP_XSTATE 0x1
#define UC_SIGCONTEXT_SS 0x2
#define UC_STRICT_RESTORE_SS 0x4
/* Neither 0, SS_ONSTACK nor SS_DISABLE: rt_sigreturn's sigaltstack() fails
 * with EINVAL, which it ignores, so the thread's own alternate stack stays
 * as it is without the engine asking for it (one injected call fewer). */
#define SS_FLAGS_KEEP 3

/* The kernel's x86-64 struct rt_sigframe (arch/x86/include/asm/sigframe.h,
 * uapi asm/sigcontext.h), as rt_sigreturn reads it at the stack pointer - 8. */
struct kernel_sigcontext {
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t di, si, bp, bx, dx, ax, cx, sp;
	uint64_t ip, flags;
	uint16_t cs, gs, fs, ss;
	uint64_t err, trapno, oldmask, cr2;
	uint64_t fpstate;
	uint64_t reserved1[8];
};
struct kernel_stack {
	uint64_t sp;
	int32_t flags, pad;
	uint64_t size;
};
struct kernel_ucontext {
	uint64_t flags, link;
	struct kernel_stack stack;
	struct kernel_sigcontext mcontext;
	uint64_t sigmask;
};
struct kernel_rt_sigframe {
	uint64_t pretcode;          /* where the handler's `ret` goes: the restorer */
	struct kernel_ucontext uc;
	unsigned char info[128];
};
struct fpx_sw_bytes {
	uint32_t magic1, extended_size;
	uint64_t xfeatures;
	uint32_t xstate_size, padding[7];
};
_Static_assert(sizeof(struct kernel_sigcontext) == 256, "struct sigcontext_64");
_Static_assert(sizeof(struct kernel_ucontext) == 304, "struct ucontext");
_Static_assert(sizeof(struct kernel_rt_sigframe) == 440, "struct rt_sigframe");
_Static_assert(sizeof(struct fpx_sw_bytes) == 48, "struct _fpx_sw_bytes");

struct inject_guard {
	uint64_t syscall_ret_ip;    /* `syscall; ret` */
	uint64_t restorer_ip;       /* `mov $15,%eax; syscall`: rt_sigreturn */
	uint64_t base;              /* the frame in the thread: its stack pointer for a call */
	size_t len;                 /* from base to the scratch area */
	unsigned char *frame;       /* len bytes, as written for a call */
	unsigned char *own;         /* len bytes: the thread's own, put back after it */
};

static const unsigned char SYSCALL_RET[] = { 0x0f, 0x05, 0xc3 };
static const unsigned char RESTORER_RAX[] = { 0x48, 0xc7, 0xc0, 0x0f, 0, 0, 0, 0x0f, 0x05 };  /* glibc's, musl's __restore_rt */
static const unsigned char RESTORER_EAX[] = { 0xb8, 0x0f, 0, 0, 0, 0x0f, 0x05 };

static void find_in(const unsigned char *text, size_t len, uint64_t at, const unsigned char *p, size_t n, uint64_t *found)
{
	const unsigned char *hit = *found ? NULL : memmem(text, len, p, n);
	if (hit)
		*found = at + (uint64_t)(hit - text);
}

/* Search one executable mapping, in chunks that overlap by a sequence's length. */
static void find_guard_code_in(pid_t pid, unsigned char *buf, uint64_t start, uint64_t end, uint64_t *syscall_ret,
			       uint64_t *restorer)
{
	const size_t chunk = 1 << 16, overlap = sizeof(RESTORER_RAX);
	for (uint64_t at = start; at < end && !(*syscall_ret && *restorer); at += chunk - overlap) {
		size_t len = end - at < chunk ? end - at : chunk;
		struct iovec local = { buf, len }, remote = { (void *)at, len };
		if (process_vm_readv(pid, &local, 1, &remote, 1, 0) != (ssize_t)len)
			return;
		find_in(buf, len, at, SYSCALL_RET, sizeof(SYSCALL_RET), syscall_ret);
		find_in(buf, len, at, RESTORER_RAX, sizeof(RESTORER_RAX), restorer);
		find_in(buf, len, at, RESTORER_EAX, sizeof(RESTORER_EAX), restorer);
		if (len < chunk)
			return;
	}
}

/* The guard's two sequences in the file-backed executable mappings or the
 * vdso of pid (libc has both; text a process does not change while frozen).
 * Bytes mean the same wherever execution starts, whatever instruction they
 * belonged to.  Returns 1 if both were found. */
static int find_guard_code(pid_t pid, uint64_t *syscall_ret, uint64_t *restorer)
{
	char path[64], line[512], perms[8];
	unsigned long start, end;
	*syscall_ret = *restorer = 0;
	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return 0;
	unsigned char *buf = malloc(1 << 16);
	while (buf && !(*syscall_ret && *restorer) && fgets(line, sizeof(line), f)) {
		int name = 0;
		if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %n", &start, &end, perms, &name) != 3 || perms[0] != 'r' ||
		    perms[2] != 'x' || !name || (line[name] != '/' && strncmp(line + name, "[vdso]", 6) != 0))
			continue;
		find_guard_code_in(pid, buf, start, end, syscall_ret, restorer);
	}
	free(buf);
	fclose(f);
	return *syscall_ret && *restorer;
}

/* A CET shadow stack: the frame's `ret` would not match it. */
static int has_shadow_stack(pid_t tid)
{
	char path[64], line[256];
	int found = 0;
	snprintf(path, sizeof(path), "/proc/%d/status", tid);
	FILE *f = fopen(path, "re");
	if (!f)
		return 1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "x86_Thread_features:", 20) == 0 && strstr(line, "shstk"))
			found = 1;
	fclose(f);
	return found;
}

/* How much of the XSAVE area (standard format, as ptrace gives it) the
 * frame declares, and which features it restores: all of it, unless AMX
 * tile data is in its initial state; then the area without it, which is the
 * size the kernel takes from a thread without AMX permission (a larger one
 * would make it restore x87/SSE only) and restores tile data to its initial
 * state, as it was. */
static uint32_t frame_xstate_size(const unsigned char *x, size_t xlen, uint64_t *features)
{
	uint64_t xcr0, used;
	memcpy(&xcr0, x + XSAVE_SW_BYTES, sizeof(xcr0));
	memcpy(&used, x + XSAVE_HEADER, sizeof(used));
	*features = xcr0;
	if (!(xcr0 & (1ULL << XFEATURE_XTILE_DATA)) || (used & (1ULL << XFEATURE_XTILE_DATA)))
		return (uint32_t)xlen;
	*features = xcr0 & ~(1ULL << XFEATURE_XTILE_DATA);
	uint32_t size = XSAVE_MIN;
	for (int i = 2; i < 63; i++) {
		unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
		if (!(*features >> i & 1))
			continue;
		__cpuid_count(0xd, i, eax, ebx, ecx, edx);    /* eax: the feature's size, ebx: its offset */
		if (ebx + eax > size)
			size = ebx + eax;
	}
	return size < xlen ? size : (uint32_t)xlen;
}

/* The thread's FPU state as a signal frame's fpstate at g->frame + at. */
static int build_fpstate(struct inject_guard *g, size_t at, const unsigned char *x, size_t xlen)
{
	uint64_t features;
	uint32_t xsize = frame_xstate_size(x, xlen, &features);
	if (!features)
		return -1;
	struct fpx_sw_bytes sw = { .magic1 = FP_XSTATE_MAGIC1, .extended_size = xsize + 4, .xfeatures = features,
				   .xstate_size = xsize };
	uint32_t magic2 = FP_XSTATE_MAGIC2;
	memcpy(g->frame + at, x, xlen);
	memcpy(g->frame + at + XSAVE_SW_BYTES, &sw, sizeof(sw));
	memcpy(g->frame + at + xsize, &magic2, sizeof(magic2));
	return 0;
}

/* The frame proper: the registers the thread is to run on (an interrupted
 * syscall set to be entered again, as the kernel would without a handler),
 * its own blocked mask, its alternate stack kept, its FPU state at fpstate. */
static void build_sigframe(const struct injector *in, struct inject_guard *g, uint64_t fpstate)
{
	struct user_regs_struct r = in->saved;
	struct kernel_rt_sigframe f;
	tracer_rewind_for_sigreturn(&r);
	memset(&f, 0, sizeof(f));
	f.pretcode = g->restorer_ip;
	f.uc.flags = UC_FP_XSTATE | UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS;
	f.uc.stack.flags = SS_FLAGS_KEEP;
	struct kernel_sigcontext *c = &f.uc.mcontext;
	c->r8 = r.r8, c->r9 = r.r9, c->r10 = r.r10, c->r11 = r.r11;
	c->r12 = r.r12, c->r13 = r.r13, c->r14 = r.r14, c->r15 = r.r15;
	c->di = r.rdi, c->si = r.rsi, c->bp = r.rbp, c->bx = r.rbx;
	c->dx = r.rdx, c->ax = r.rax, c->cx = r.rcx, c->sp = r.rsp;
	c->ip = r.rip;
	c->flags = r.eflags;
	c->cs = (uint16_t)r.cs;
	c->ss = (uint16_t)r.ss;
	c->fpstate = fpstate;
	f.uc.sigmask = in->saved_sigmask;
	memcpy(g->frame, &f, sizeof(f));
}

static void guard_free(struct inject_guard *g)
{
	if (g) {
		free(g->frame);
		free(g->own);
		free(g);
	}
}

/* Read and write back the bytes where the frame goes: they are there and writable. */
static int guard_memory_usable(pid_t pid, struct inject_guard *g)
{
	struct iovec local = { g->own, g->len }, remote = { (void *)g->base, g->len };
	return process_vm_readv(pid, &local, 1, &remote, 1, 0) == (ssize_t)g->len &&
	       process_vm_writev(pid, &local, 1, &remote, 1, 0) == (ssize_t)g->len;
}

/* The frame below the scratch area (below the red zone), its fpstate
 * 64-byte aligned for XRSTOR, the frame's end where a handler's would be. */
static struct inject_guard *guard_build(struct injector *in, uint64_t syscall_ret, uint64_t restorer,
					const unsigned char *x, size_t xlen)
{
	uint64_t top = (in->saved.rsp - INJECT_RED_ZONE - INJECT_SCRATCH_SIZE) & ~63ULL;
	uint64_t fpstate = (top - xlen - 4) & ~63ULL;
	uint64_t base = ((fpstate - sizeof(struct kernel_rt_sigframe)) & ~15ULL) - 8;
	struct inject_guard *g = calloc(1, sizeof(*g));
	if (!g)
		return NULL;
	g->syscall_ret_ip = syscall_ret;
	g->restorer_ip = restorer;
	g->base = base;
	g->len = top - base;
	g->frame = calloc(1, g->len);
	g->own = malloc(g->len);
	if (!g->frame || !g->own || build_fpstate(g, fpstate - base, x, xlen) || !guard_memory_usable(in->pid, g)) {
		guard_free(g);
		return NULL;
	}
	build_sigframe(in, g, fpstate);
	return g;
}

int injector_guard(struct injector *in, const struct injector *leader)
{
	uint64_t syscall_ret, restorer;
	struct cryo_error ignored;
	if (in->guard)
		return 1;
	if (leader && leader->guard) {
		syscall_ret = leader->guard->syscall_ret_ip;
		restorer = leader->guard->restorer_ip;
	} else if (!find_guard_code(in->pid, &syscall_ret, &restorer)) {
		return 0;
	}
	if (has_shadow_stack(in->pid) || in->saved.rsp < (1 << 20))
		return 0;
	size_t xlen = XSAVE_MAX;
	unsigned char *x = malloc(XSAVE_MAX);
	if (x && tracer_get_xstate(in->pid, x, &xlen, &ignored) == 0 && xlen >= XSAVE_MIN && xlen < XSAVE_MAX)
		in->guard = guard_build(in, syscall_ret, restorer, x, xlen);
	free(x);
	return in->guard != NULL;
}

void injector_unguard(struct injector *in)
{
	guard_free(in->guard);
	in->guard = NULL;
}

/* Before a guarded call: the thread's bytes kept, the frame written.  -1:
 * this call runs unguarded (nothing changed). */
static int guard_frame_write(struct injector *in)
{
	struct inject_guard *g = in->guard;
	if (!g)
		return -1;
	struct iovec own = { g->own, g->len }, frame = { g->frame, g->len }, remote = { (void *)g->base, g->len };
	if (process_vm_readv(in->pid, &own, 1, &remote, 1, 0) != (ssize_t)g->len)
		return -1;
	if (process_vm_writev(in->pid, &frame, 1, &remote, 1, 0) == (ssize_t)g->len)
		return 0;
	process_vm_writev(in->pid, &own, 1, &remote, 1, 0);
	return -1;
}

/* After it, once the thread has its own registers: its bytes back. */
static int guard_frame_remove(struct injector *in, struct cryo_error *e)
{
	struct inject_guard *g = in->guard;
	struct iovec own = { g->own, g->len }, remote = { (void *)g->base, g->len };
	if (process_vm_writev(in->pid, &own, 1, &remote, 1, 0) != (ssize_t)g->len)
		return cryo_fail_errno(e, in->pid, "memory", "process_vm_writev",
				       "cannot put back the memory below the stack pointer of thread %d", in->pid);
	return 0;
}

uint64_t find_vdso_syscall(pid_t pid, uint64_t *vdso_start, uint64_t *vdso_end)
{
	char path[64], line[512];
	unsigned long start = 0, end = 0;
	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (strstr(line, "[vdso]")) {
			sscanf(line, "%lx-%lx", &start, &end);
			break;
		}
	}
	fclose(f);
	if (!start || end - start > (1 << 20))
		return 0;
	if (vdso_start)
		*vdso_start = start;
	if (vdso_end)
		*vdso_end = end;

	size_t len = end - start;
	unsigned char *text = malloc(len);
	if (!text)
		return 0;
	struct iovec local = { text, len }, remote = { (void *)start, len };
	uint64_t found = 0;
	if (process_vm_readv(pid, &local, 1, &remote, 1, 0) == (ssize_t)len) {
		for (size_t i = 0; i + 1 < len; i++)
			if (text[i] == 0x0f && text[i + 1] == 0x05) {
				found = start + i;
				break;
			}
	}
	free(text);
	return found;
}

/* A process without a vdso (it unmapped it): a `syscall` instruction in
 * any of its readable program text, libc's most likely; 0 if none. */
static uint64_t find_text_syscall(pid_t pid)
{
	char path[64], line[512];
	unsigned long start, end;
	char perms[8];
	uint64_t found = 0;
	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return 0;
	unsigned char *text = malloc(1 << 16);
	while (text && !found && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx %7s", &start, &end, perms) != 3 || perms[0] != 'r' || perms[2] != 'x')
			continue;
		for (unsigned long at = start; at < end && !found; at += (1 << 16) - 1) {    /* chunks overlap by a byte */
			size_t len = end - at < (1 << 16) ? end - at : (1 << 16);
			struct iovec local = { text, len }, remote = { (void *)at, len };
			if (process_vm_readv(pid, &local, 1, &remote, 1, 0) != (ssize_t)len)
				break;
			for (size_t i = 0; i + 1 < len; i++)
				if (text[i] == 0x0f && text[i + 1] == 0x05) {
					found = at + i;
					break;
				}
		}
	}
	free(text);
	fclose(f);
	return found;
}

int injector_prepare(struct injector *in, pid_t pid, uint64_t syscall_ip, struct cryo_error *e)
{
	memset(in, 0, sizeof(*in));
	in->pid = pid;
	in->tgid = pid;
	in->syscall_ip = syscall_ip ? syscall_ip : find_vdso_syscall(pid, NULL, NULL);
	if (!in->syscall_ip)
		in->syscall_ip = find_text_syscall(pid);
	if (!in->syscall_ip)
		return cryo_fail(e, pid, "vdso", "", ENOEXEC,
				 "process %d has no [vdso] with a syscall instruction to run syscalls through", pid);
	return tracer_get_regs(pid, &in->saved, e) || tracer_get_sigmask(pid, &in->saved_sigmask, e) ? -1 : 0;
}

int injector_prepare_thread(struct injector *in, const struct injector *leader, pid_t tid, struct cryo_error *e)
{
	if (injector_prepare(in, tid, leader->syscall_ip, e))
		return -1;
	in->tgid = leader->tgid;
	return 0;
}

static int step_to_syscall_stop(struct injector *in, const char *name, struct cryo_error *e)
{
	int status;
	if (ptrace(PTRACE_SYSCALL, in->pid, 0, 0) < 0)
		return cryo_fail_errno(e, in->pid, "process", "ptrace(PTRACE_SYSCALL)", "cannot run %s in process %d", name, in->pid);
	for (;;) {
		if (tracer_wait(in->pid, &status, e))
			return -1;
		if (WIFSTOPPED(status) && WSTOPSIG(status) == SYSCALL_STOP)
			return 0;
		int event = status >> 16;
		if (event == PTRACE_EVENT_FORK || event == PTRACE_EVENT_CLONE || event == PTRACE_EVENT_VFORK) {
			/* the syscall returns the child's PID in its own namespace; this is ours */
			unsigned long child = 0;
			ptrace(PTRACE_GETEVENTMSG, in->pid, 0, &child);
			in->last_child = (pid_t)child;
		}
		/* an interrupt or other event stop: keep going, signals stay blocked */
		if (ptrace(PTRACE_SYSCALL, in->pid, 0, 0) < 0)
			return cryo_fail_errno(e, in->pid, "process", "ptrace(PTRACE_SYSCALL)", "cannot run %s in process %d", name, in->pid);
	}
}

/* The registers the thread runs on from a syscall-exit stop as if it had
 * never been stopped: its own, with a syscall the freeze interrupted rewound
 * so that it is entered again (from such a stop the kernel would not). */
static struct user_regs_struct own_registers(const struct injector *in)
{
	struct user_regs_struct own = in->saved;
	tracer_rewind_interrupted_syscall(&own);
	return own;
}

/* The mask first: a guarded thread let go between the two still returns
 * through its frame, which holds its own registers. */
static int put_back_own_state(struct injector *in, struct cryo_error *e)
{
	struct user_regs_struct own = own_registers(in);
	return tracer_set_sigmask(in->pid, in->saved_sigmask, e) || fault_point(STAGE_MASK) ||
	       tracer_set_regs(in->pid, &own, e) ? -1 : 0;
}

int injector_syscall(struct injector *in, long nr, long a1, long a2, long a3,
		     long a4, long a5, long a6, long *ret, struct cryo_error *e)
{
	struct user_regs_struct r = in->saved;
	struct cryo_error ignored;
	char name[32];
	snprintf(name, sizeof(name), "syscall %ld", nr);
	injected_calls++;

	r.rax = (unsigned long)nr;
	r.orig_rax = (unsigned long)-1;   /* no restart logic on the way out of the current stop */
	r.rdi = (unsigned long)a1;
	r.rsi = (unsigned long)a2;
	r.rdx = (unsigned long)a3;
	r.r10 = (unsigned long)a4;
	r.r8 = (unsigned long)a5;
	r.r9 = (unsigned long)a6;
	r.rip = in->syscall_ip;
	r.eflags &= ~0x100UL;             /* no single-step trap */
	int guarded = guard_frame_write(in) == 0;
	if (guarded) {
		/* after the call, `ret` pops the frame's return address: rt_sigreturn */
		r.rip = in->guard->syscall_ret_ip;
		r.rsp = in->guard->base;
	}
	/* the registers first: a thread let go before its mask is set runs the
	 * call with its own mask, and (guarded) returns through the frame; then
	 * signals that arrive stay pending instead of stopping the injected syscall */
	int rc = tracer_set_regs(in->pid, &r, e) || tracer_set_sigmask(in->pid, ~0ULL, e) || fault_point(STAGE_SET) ||
		 step_to_syscall_stop(in, name, e) || fault_point(STAGE_ENTRY) || step_to_syscall_stop(in, name, e) ||
		 fault_point(STAGE_EXIT) || tracer_get_regs(in->pid, &r, e) ? -1 : 0;
	/* at once, not at injector_finish: the engine may die before its next call */
	if (put_back_own_state(in, rc ? &ignored : e))
		rc = -1;
	else if (guarded && guard_frame_remove(in, rc ? &ignored : e))
		rc = -1;
	if (!rc)
		*ret = (long)r.rax;
	return rc;
}

int injector_call(struct injector *in, const char *resource, const char *what, const char *doing, long nr,
		  long a1, long a2, long a3, long a4, long a5, long a6, long *ret, struct cryo_error *e)
{
	long r;
	if (injector_syscall(in, nr, a1, a2, a3, a4, a5, a6, &r, e))
		return -1;
	/* the kernel's error range: an address from mmap can look negative */
	if (r < 0 && r > -4096)
		return cryo_fail(e, in->pid, resource, what, (int)-r, "cannot %s %d", doing, in->pid);
	if (ret)
		*ret = r;
	return 0;
}

int injector_finish(struct injector *in, const struct user_regs_struct *regs, struct cryo_error *e)
{
	struct user_regs_struct own = own_registers(in);
	if (tracer_set_regs(in->pid, regs ? regs : &own, e))
		return -1;
	return tracer_set_sigmask(in->pid, in->saved_sigmask, e);
}

int injector_scratch_begin(struct injector *in, uint64_t *addr, struct cryo_error *e)
{
	uint64_t at = (in->saved.rsp - INJECT_RED_ZONE - INJECT_SCRATCH_SIZE) & ~63ULL;
	struct iovec local = { in->scratch_own, INJECT_SCRATCH_SIZE }, remote = { (void *)at, INJECT_SCRATCH_SIZE };
	/* read, then write the same bytes back: proves the area is there and writable */
	errno = 0;
	if (in->saved.rsp < INJECT_RED_ZONE + INJECT_SCRATCH_SIZE ||
	    process_vm_readv(in->pid, &local, 1, &remote, 1, 0) != INJECT_SCRATCH_SIZE ||
	    process_vm_writev(in->pid, &local, 1, &remote, 1, 0) != INJECT_SCRATCH_SIZE)
		return cryo_fail(e, in->pid, "memory", "process_vm_writev", errno ? errno : EFAULT,
				 "no scratch memory below the stack pointer of thread %d", in->pid);
	in->scratch = at;
	*addr = at;
	return 0;
}

int injector_scratch_end(struct injector *in, struct cryo_error *e)
{
	if (!in->scratch)
		return 0;
	struct iovec local = { in->scratch_own, INJECT_SCRATCH_SIZE }, remote = { (void *)in->scratch, INJECT_SCRATCH_SIZE };
	if (process_vm_writev(in->pid, &local, 1, &remote, 1, 0) != INJECT_SCRATCH_SIZE)
		return cryo_fail_errno(e, in->pid, "memory", "process_vm_writev",
				       "cannot put back the memory below the stack pointer of thread %d", in->pid);
	in->scratch = 0;
	return 0;
}
