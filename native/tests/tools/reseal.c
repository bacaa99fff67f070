/*
 * cryo-reseal [--sections] FILE: recompute the table and header checksums of
 * a context file in place, after a test has edited its section table, so that
 * the verifier sees a well-sealed file whose layout alone is wrong.  With
 * --sections, every section's payload checksum first (one that lies outside
 * the file is left as it is): the records inside are then what the reader
 * must judge, which is how the fuzz test reaches the record parser.  A test
 * tool: it checks nothing and is never installed.
 */
#include "cryo/format.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

static void reseal_sections(FILE *f, struct cryo_section_entry *table, uint32_t count)
{
	if (fseek(f, 0, SEEK_END))
		return;
	long size = ftell(f);
	for (uint32_t i = 0; i < count; i++) {
		struct cryo_section_entry *s = &table[i];
		if (size < 0 || s->offset > (uint64_t)size || s->length > (uint64_t)size - s->offset)
			continue;
		void *payload = malloc(s->length ? s->length : 1);
		if (payload && !fseek(f, (long)s->offset, SEEK_SET) && fread(payload, 1, s->length, f) == s->length)
			s->checksum = XXH3_64bits(payload, s->length);
		free(payload);
	}
}

int main(int argc, char **argv)
{
	int sections = argc == 3 && !strcmp(argv[1], "--sections");
	if (argc != 2 && !sections) {
		fprintf(stderr, "usage: cryo-reseal [--sections] FILE\n");
		return 2;
	}
	const char *path = argv[argc - 1];
	FILE *f = fopen(path, "r+b");
	struct cryo_file_header h;
	if (!f || fread(&h, sizeof(h), 1, f) != 1) {
		perror(path);
		return 1;
	}
	size_t table_len = (size_t)h.section_count * sizeof(struct cryo_section_entry);
	void *table = malloc(table_len ? table_len : 1);
	if (!table || fseek(f, (long)h.table_offset, SEEK_SET) || fread(table, 1, table_len, f) != table_len) {
		fprintf(stderr, "%s: cannot read the section table\n", path);
		return 1;
	}
	if (sections) {
		reseal_sections(f, table, h.section_count);
		if (fseek(f, (long)h.table_offset, SEEK_SET) || fwrite(table, 1, table_len, f) != table_len) {
			perror(path);
			return 1;
		}
	}
	h.table_checksum = XXH3_64bits(table, table_len);
	h.header_checksum = XXH3_64bits(&h, offsetof(struct cryo_file_header, header_checksum));
	if (fseek(f, 0, SEEK_SET) || fwrite(&h, sizeof(h), 1, f) != 1 || fclose(f)) {
		perror(path);
		return 1;
	}
	return 0;
}
