/*
 * Files the restart opens again by name (the executable, files mapped
 * privately, regular files held open read-only), known by their content:
 * their size and an XXH3-64 hash of them at checkpoint time (section
 * FILE_HASHES).  A file whose modification time moved on (a plain `cp` copy
 * reached through --relocate, a `touch`) is still the file if its content
 * is the same; mtime and inode are only the hint that spares the hashing.
 */
#ifndef CRYO_FILEHASH_H
#define CRYO_FILEHASH_H

#include <sys/stat.h>
#include "resources.h"

/* What the restart finds at path: 0 if it is the file id names (same size,
 * and either the same inode and mtime or the same content), else -1 with an
 * error naming what (e.g. "mapped file") and path. */
int filehash_check(const struct tree *t, const char *what, const char *path, const struct cryo_file_id *id,
		   const struct stat *now, struct cryo_error *e);

extern const struct resource_ops file_hashes_resource;

#endif
