/* Event descriptors: eventfd, timerfd, signalfd, epoll, inotify.  Saved from their
 * /proc/PID/fdinfo; recreated in the restored process by injected syscalls,
 * epoll sets last, once every descriptor they watch is in place. */
#ifndef CRYO_EVENTFDS_H
#define CRYO_EVENTFDS_H

#include "inject.h"
#include "memory.h"
#include "snapshot.h"

/* If f (whose /proc link is in f->path) is an event descriptor, fill its
 * kind and detail and return 1; 0 if it is not one; -1 on failure. */
int eventfds_capture(pid_t pid, struct fd_rec *f, struct cryo_error *e);
/* Through the injector, before eventfds_capture: let every periodic timerfd
 * catch up (timerfd_gettime counts the expirations it missed), so that
 * fdinfo shows all its ticks and the time to its next expiration. */
int eventfds_settle_timers(struct injector *in, uint64_t scratch, struct cryo_error *e);
#endif
