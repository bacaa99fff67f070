/* What a context file holds, as JSON (cryo_describe in cryo.h), and the
 * names of the kinds of records, spelled in one place. */
#ifndef CRYO_INFO_H
#define CRYO_INFO_H

#include <stdint.h>
#include "cryo/cryo.h"

/* "regular", "pipe", "tcp" ... for an enum cryo_fd_kind; "unknown" otherwise. */
const char *cryo_fd_kind_name(uint32_t kind);
/* "anon-private", "file-shared", "vdso" ... for an enum cryo_vma_kind; "unknown" otherwise. */
const char *cryo_vma_kind_name(uint32_t kind);

#endif
