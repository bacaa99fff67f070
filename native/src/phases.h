/*
 * Where a checkpoint's frozen time goes (issue 15): with opts->timing (cr_checkpoint -v)
 * or CRYO_TIMING=1 in the environment, one stderr line per phase, its length
 * in milliseconds since the phase before.  Costs a clock read when off.
 */
#ifndef CRYO_PHASES_H
#define CRYO_PHASES_H

/* Starts the clock (on: print) for the checkpoint of pid; a pre-copy round is round k, 0 for none. */
void phases_begin(int on, int pid, const char *what);
/* The phase that ends now. */
void phase_done(const char *name);
/* The whole since phases_begin, as the last line. */
void phases_end(const char *name);

#endif
