/*
 * A checkpoint for a requeue or migration (cryo-engine checkpoint
 * --leaving-node): the job may restart on another node, so a directory an
 * MPI keeps files in that its processes hold by name (Open MPI's session
 * directory: its launcher's FIFO, PMIx's rendezvous socket and stores) must
 * be one every node sees.  Node-local is told by statfs magic (tmpfs, ext4,
 * xfs, btrfs ... are; NFS, Lustre, GPFS, BeeGFS, CephFS are not); a
 * directory on the file system the context file goes to moves with it; the
 * site's files.shared.paths (CRYO_SHARED_PATHS) lists exceptions.
 */
#ifndef CRYO_NODELOCAL_H
#define CRYO_NODELOCAL_H

#include <sys/types.h>
#include "cryo/cryo.h"

/* Refuses (-1, *e naming process, variable and path) if a process of the
 * tree rooted at root names a node-local MPI session directory in its
 * environment; context is the context file's path (its directory's file
 * system is shared by construction). */
int nodelocal_check_tree(pid_t root, const char *context, struct cryo_error *e);

/* The file system type's name if statfs magic f_type is a node-local one, else NULL. */
const char *nodelocal_type(long f_type);

/* Is path (absolute) at or below one of the colon-separated directories in list? */
int nodelocal_listed(const char *path, const char *list);

#endif
