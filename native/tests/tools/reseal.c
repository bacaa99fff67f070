/*
 * cryo-reseal FILE: recompute the table and header checksums of a context
 * file in place, after a test has edited its section table, so that the
 * verifier sees a well-sealed file whose layout alone is wrong.  A test tool:
 * it checks nothing and is never installed.
 */
#include "cryo/format.h"

#include <stdio.h>
#include <stdlib.h>
#include <xxhash.h>

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: cryo-reseal FILE\n");
		return 2;
	}
	FILE *f = fopen(argv[1], "r+b");
	struct cryo_file_header h;
	if (!f || fread(&h, sizeof(h), 1, f) != 1) {
		perror(argv[1]);
		return 1;
	}
	size_t table_len = (size_t)h.section_count * sizeof(struct cryo_section_entry);
	void *table = malloc(table_len ? table_len : 1);
	if (!table || fseek(f, (long)h.table_offset, SEEK_SET) || fread(table, 1, table_len, f) != table_len) {
		fprintf(stderr, "%s: cannot read the section table\n", argv[1]);
		return 1;
	}
	h.table_checksum = XXH3_64bits(table, table_len);
	h.header_checksum = XXH3_64bits(&h, offsetof(struct cryo_file_header, header_checksum));
	if (fseek(f, 0, SEEK_SET) || fwrite(&h, sizeof(h), 1, f) != 1 || fclose(f)) {
		perror(argv[1]);
		return 1;
	}
	return 0;
}
