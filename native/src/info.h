/* What a context file holds, as JSON (cryo_describe in cryo.h).  A
 * descriptor kind's name is its fd_ops.name (fdtypes.c); mapping kinds,
 * which have no table yet, are named here. */
#ifndef CRYO_INFO_H
#define CRYO_INFO_H

#include <stdint.h>
#include "cryo/cryo.h"

/* "anon-private", "file-shared", "vdso" ... for an enum cryo_vma_kind; "unknown" otherwise. */
const char *cryo_vma_kind_name(uint32_t kind);

#endif
