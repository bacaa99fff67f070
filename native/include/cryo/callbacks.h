/*
 * libcryo_callbacks: what an application links with (-lcryo_callbacks) to
 * be told it has been restarted, as BLCR's cr_register_callback did: a
 * socket to the outside comes back unconnected (cr_restart warns), and a
 * callback can connect it again before the application carries on.
 *
 * Callbacks run in signal context (BLCR's CR_SIGNAL_CONTEXT), in the thread
 * that was the process's first, right after the restart and before it runs
 * on: use async-signal-safe calls only (socket, connect, dup2, open, ...).
 * The library takes signal CRYO_RESTART_SIGNAL for itself.
 */
#ifndef CRYO_CALLBACKS_H
#define CRYO_CALLBACKS_H

#include <signal.h>

#define CRYO_RESTART_SIGNAL (SIGRTMAX - 1)
/* The value the restorer queues the signal with: the restart's mark. */
#define CRYO_RESTART_MARK   0x43525952     /* "CRYR" */

typedef void (*cryo_callback)(void *arg);

/* Run fn(arg) after every restart, in registration order (up to 32).
 * Returns 0, or -1 if the table is full or the signal cannot be taken. */
int cryo_register_callback(cryo_callback fn, void *arg);

/* How many times this process has been restarted. */
int cryo_restart_count(void);

#endif
