/* The engine's progress counters (progress.h). */
#include <stdatomic.h>
#include "progress.h"

static _Atomic uint64_t done_bytes, total_bytes;
static _Atomic(cryo_progress_fn) watcher;

static void tell(void)
{
	cryo_progress_fn fn = atomic_load(&watcher);
	if (fn)
		fn(atomic_load(&done_bytes), atomic_load(&total_bytes));
}

void cryo_progress_watch(cryo_progress_fn fn)
{
	atomic_store(&watcher, fn);
}

void cryo_progress_expect(uint64_t bytes)
{
	atomic_fetch_add(&total_bytes, bytes);
	tell();
}

void cryo_progress_settle(uint64_t estimate, uint64_t actual)
{
	atomic_fetch_add(&total_bytes, actual - estimate);   /* modular: a smaller actual subtracts */
	tell();
}

void cryo_progress_add(uint64_t bytes)
{
	atomic_fetch_add(&done_bytes, bytes);
	tell();
}
