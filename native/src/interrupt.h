/*
 * Stopping a checkpoint on request.  cryo-engine's signal handlers call
 * cryo_request_interrupt (cryo.h); the capture and write loops call
 * interrupt_check between steps -- never inside an injected syscall -- and
 * unwind through their ordinary failure path, so an interrupted checkpoint
 * leaves the tree as it was and no file.  Past the commit point (the context
 * file under its final name) the request is ignored and the checkpoint
 * completes.
 */
#ifndef CRYO_INTERRUPT_H
#define CRYO_INTERRUPT_H

#include <sys/types.h>
#include "cryo/cryo.h"

/* 0, or -1 with "checkpoint of PID interrupted by signal N (NAME)" in *e. */
int interrupt_check(pid_t pid, struct cryo_error *e);
/* The signal that asked, or 0. */
int interrupt_signal(void);

#endif
