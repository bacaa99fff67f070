/*
 * Registers: x87 (eight values, control word), SSE (xmm0-15, MXCSR), AVX
 * (ymm0-15) and, when the CPU has AVX-512F, zmm0-31 and k0-7, plus the
 * general registers rbx, rbp, rdx, r8-r10, r12-r15 and the fs base (a
 * __thread variable).  An assembly loop loads known values, then waits for
 * the go without touching them: it polls the go file with raw access() and
 * nanosleep() syscalls (which preserve every register it checks) or stops
 * when SIGUSR1 sets a flag (the kernel saves and restores the handler's FPU
 * use).  Then it stores the registers and C compares them.
 */
#include "testlib.h"
#include <asm/prctl.h>
#include <signal.h>
#include <stddef.h>
#include <sys/syscall.h>

struct cpu_state {
	double   x87[8];          /*    0 */
	uint64_t gpr[10];         /*   64: rbx rbp rdx r8 r9 r10 r12 r13 r14 r15 */
	uint32_t mxcsr;           /*  144 */
	uint16_t fcw, pad0;       /*  148 */
	uint8_t  pad1[40];
	uint8_t  ymm[16][32];     /*  192 */
	uint8_t  zmm[32][64];     /*  704 */
	uint16_t k[8];            /* 2752 */
} __attribute__((aligned(64)));

_Static_assert(offsetof(struct cpu_state, gpr) == 64, "layout");
_Static_assert(offsetof(struct cpu_state, mxcsr) == 144, "layout");
_Static_assert(offsetof(struct cpu_state, fcw) == 148, "layout");
_Static_assert(offsetof(struct cpu_state, ymm) == 192, "layout");
_Static_assert(offsetof(struct cpu_state, zmm) == 704, "layout");
_Static_assert(offsetof(struct cpu_state, k) == 2752, "layout");

/* level: 0 SSE only, 1 AVX, 2 AVX-512F */
void cpu_spin(const char *go_path, const struct cpu_state *in, struct cpu_state *out,
	      int level, volatile int *flag);

__attribute__((used)) static const struct timespec poll_interval = { 0, 10 * 1000000L };

#define XMM_LOAD(n)  "movdqu  192+" #n "*32(%rsi), %xmm" #n "\n"
#define YMM_LOAD(n)  "vmovdqu 192+" #n "*32(%rsi), %ymm" #n "\n"
#define ZMM_LOAD(n)  "vmovdqu64 704+" #n "*64(%rsi), %zmm" #n "\n"
#define K_LOAD(n)    "kmovw 2752+" #n "*2(%rsi), %k" #n "\n"
#define XMM_STORE(n) "movdqu  %xmm" #n ", 192+" #n "*32(%rsi)\n"
#define YMM_STORE(n) "vmovdqu %ymm" #n ", 192+" #n "*32(%rsi)\n"
#define ZMM_STORE(n) "vmovdqu64 %zmm" #n ", 704+" #n "*64(%rsi)\n"
#define K_STORE(n)   "kmovw %k" #n ", 2752+" #n "*2(%rsi)\n"
#define X8(M, a) M(a##0) M(a##1) M(a##2) M(a##3) M(a##4) M(a##5) M(a##6) M(a##7)
#define R16(M) M(0) M(1) M(2) M(3) M(4) M(5) M(6) M(7) M(8) M(9) M(10) M(11) M(12) M(13) M(14) M(15)
#define R32(M) R16(M) M(16) M(17) M(18) M(19) M(20) M(21) M(22) M(23) \
	M(24) M(25) M(26) M(27) M(28) M(29) M(30) M(31)
#define R8(M) M(0) M(1) M(2) M(3) M(4) M(5) M(6) M(7)

__asm__(
	".text\n"
	".globl cpu_spin\n"
	".type cpu_spin, @function\n"
	"cpu_spin:\n"
	"push %rbp\n push %rbx\n push %r12\n push %r13\n push %r14\n push %r15\n"
	"sub $56, %rsp\n"
	"mov %rdi, 0(%rsp)\n mov %rsi, 8(%rsp)\n mov %rdx, 16(%rsp)\n"
	"mov %ecx, 24(%rsp)\n mov %r8, 32(%rsp)\n"
	/* x87: st(0) = x87[0] */
	"fninit\n fldcw 148(%rsi)\n"
	"fldl 56(%rsi)\n fldl 48(%rsi)\n fldl 40(%rsi)\n fldl 32(%rsi)\n"
	"fldl 24(%rsi)\n fldl 16(%rsi)\n fldl 8(%rsi)\n fldl 0(%rsi)\n"
	"ldmxcsr 144(%rsi)\n"
	"cmpl $0, 24(%rsp)\n jne 1f\n"
	R16(XMM_LOAD)
	"jmp 3f\n"
	"1:\n"
	R16(YMM_LOAD)
	"cmpl $2, 24(%rsp)\n jne 3f\n"
	R32(ZMM_LOAD)
	R8(K_LOAD)
	"3:\n"
	"mov 64(%rsi), %rbx\n mov 72(%rsi), %rbp\n mov 80(%rsi), %rdx\n mov 88(%rsi), %r8\n"
	"mov 96(%rsi), %r9\n mov 104(%rsi), %r10\n mov 112(%rsi), %r12\n mov 120(%rsi), %r13\n"
	"mov 128(%rsi), %r14\n mov 136(%rsi), %r15\n"
	/* Wait: only rax, rcx, r11, rdi, rsi change from here on. */
	"4:\n"
	"mov 32(%rsp), %rax\n cmpl $0, (%rax)\n jne 5f\n"
	"mov $" "21" ", %eax\n mov 0(%rsp), %rdi\n xor %esi, %esi\n syscall\n"   /* access(go, F_OK) */
	"test %rax, %rax\n je 5f\n"
	"mov $" "35" ", %eax\n lea poll_interval(%rip), %rdi\n xor %esi, %esi\n syscall\n" /* nanosleep */
	"jmp 4b\n"
	"5:\n"
	"mov 16(%rsp), %rsi\n"
	"mov %rbx, 64(%rsi)\n mov %rbp, 72(%rsi)\n mov %rdx, 80(%rsi)\n mov %r8, 88(%rsi)\n"
	"mov %r9, 96(%rsi)\n mov %r10, 104(%rsi)\n mov %r12, 112(%rsi)\n mov %r13, 120(%rsi)\n"
	"mov %r14, 128(%rsi)\n mov %r15, 136(%rsi)\n"
	"stmxcsr 144(%rsi)\n fnstcw 148(%rsi)\n"
	"fstpl 0(%rsi)\n fstpl 8(%rsi)\n fstpl 16(%rsi)\n fstpl 24(%rsi)\n"
	"fstpl 32(%rsi)\n fstpl 40(%rsi)\n fstpl 48(%rsi)\n fstpl 56(%rsi)\n"
	"cmpl $0, 24(%rsp)\n jne 6f\n"
	R16(XMM_STORE)
	"jmp 8f\n"
	"6:\n"
	R16(YMM_STORE)
	"cmpl $2, 24(%rsp)\n jne 7f\n"
	R32(ZMM_STORE)
	R8(K_STORE)
	"7:\n"
	"vzeroupper\n"
	"8:\n"
	"ldmxcsr mxcsr_default(%rip)\n fninit\n"
	"add $56, %rsp\n"
	"pop %r15\n pop %r14\n pop %r13\n pop %r12\n pop %rbx\n pop %rbp\n"
	"ret\n"
	".size cpu_spin, .-cpu_spin\n"
);

__attribute__((used)) static const uint32_t mxcsr_default = 0x1f80;

static volatile int go_flag;
static void on_usr1(int sig)
{
	/* Uses the FPU on purpose: the kernel must restore the loop's state. */
	volatile double x = 1.5;
	x = x * 3.25;
	go_flag = x > 0;
}

static __thread uint64_t tls_marker = 0x5151515151515151ull;

static struct cpu_state in, out;

int main(int argc, char **argv)
{
	tl_init(argc, argv);
	__builtin_cpu_init();
	int level = __builtin_cpu_supports("avx512f") ? 2 : __builtin_cpu_supports("avx") ? 1 : 0;
	tl_info("INFO vector level %s", level == 2 ? "avx512f" : level == 1 ? "avx" : "sse");

	for (int i = 0; i < 8; i++)
		in.x87[i] = (i + 1) / 7.0 + i * 1e10;
	for (int i = 0; i < 10; i++)
		in.gpr[i] = 0x0123456789abcdefull * (i + 3) ^ (0x1111ull << i);
	in.mxcsr = 0xff80;       /* flush to zero, round toward zero, all masked */
	in.fcw = 0x0e7f;         /* 53-bit precision, truncate, all masked */
	tl_fill(in.ymm, sizeof(in.ymm), 50);
	tl_fill(in.zmm, sizeof(in.zmm), 51);
	for (int i = 0; i < 8; i++)
		in.k[i] = 0xa5a5 ^ (i * 0x1111);

	tls_marker = 0xfeedface12345678ull;
	uint64_t fs_before = 0;
	syscall(SYS_arch_prctl, ARCH_GET_FS, &fs_before);
	uint64_t *tls_addr = &tls_marker;

	signal(SIGUSR1, on_usr1);
	tl_ready();
	cpu_spin(tl_go_path, &in, &out, level, &go_flag);

	for (int i = 0; i < 8; i++)
		TL_CHECK(out.x87[i] == in.x87[i], "x87 st(%d) = %a, expected %a", i, out.x87[i], in.x87[i]);
	static const char *gpr_names[] = { "rbx", "rbp", "rdx", "r8", "r9", "r10", "r12", "r13", "r14", "r15" };
	for (int i = 0; i < 10; i++)
		TL_CHECK(out.gpr[i] == in.gpr[i], "%s = %#lx, expected %#lx", gpr_names[i], out.gpr[i], in.gpr[i]);
	TL_CHECK(out.mxcsr == in.mxcsr, "mxcsr = %#x, expected %#x", out.mxcsr, in.mxcsr);
	TL_CHECK(out.fcw == in.fcw, "x87 control word = %#x, expected %#x", out.fcw, in.fcw);
	int nvec = 16, width = level == 0 ? 16 : 32;
	for (int i = 0; i < nvec; i++) {
		const uint8_t *want = level == 2 ? in.zmm[i] : in.ymm[i];
		TL_CHECK(memcmp(out.ymm[i], want, width) == 0, "%s%d differs", level ? "ymm" : "xmm", i);
	}
	if (level == 2) {
		for (int i = 0; i < 32; i++)
			TL_CHECK(memcmp(out.zmm[i], in.zmm[i], 64) == 0, "zmm%d differs", i);
		for (int i = 0; i < 8; i++)
			TL_CHECK(out.k[i] == in.k[i], "k%d = %#x, expected %#x", i, out.k[i], in.k[i]);
	}

	uint64_t fs_after = 0;
	syscall(SYS_arch_prctl, ARCH_GET_FS, &fs_after);
	TL_CHECK(fs_after == fs_before && fs_after == (uint64_t)__builtin_thread_pointer(),
		 "fs base %#lx, was %#lx", fs_after, fs_before);
	TL_CHECK(&tls_marker == tls_addr && tls_marker == 0xfeedface12345678ull, "__thread variable %#lx",
		 tls_marker);

	/* Keeps working: floating point after the restore. */
	volatile double a = 2.0;
	TL_CHECK(__builtin_sqrt(a) * __builtin_sqrt(a) - 2.0 < 1e-12, "sqrt after restart");
	return tl_finish();
}
