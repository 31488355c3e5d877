// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Writes reproducible junk for the hostile-input tests: SIZE bytes from a
 * xorshift64* generator seeded with SEED. MODE "bin" gives any byte,
 * "text" printable ASCII with newlines and YAML indicators, "nul" only NUL
 * bytes. Usage: gen_garbage SEED SIZE MODE > file
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t state;

static uint64_t next(void)
{
	state ^= state >> 12;
	state ^= state << 25;
	state ^= state >> 27;
	return state * 0x2545f4914f6cdd1dull;
}

int main(int argc, char **argv)
{
	static const char text[] = "abcxyz0129 :-[]{},#&*!|>'\"%@`?\n\n    ";
	unsigned long long seed, size;
	char buf[65536];

	if (argc != 4) {
		fputs("usage: gen_garbage SEED SIZE bin|text|nul\n", stderr);
		return 2;
	}
	seed = strtoull(argv[1], NULL, 10);
	size = strtoull(argv[2], NULL, 10);
	state = seed * 0x9e3779b97f4a7c15ull + 1; /* never 0 */
	while (size > 0) {
		size_t n = size < sizeof(buf) ? (size_t)size : sizeof(buf);
		for (size_t i = 0; i < n; i++) {
			uint64_t r = next();
			if (!strcmp(argv[3], "text"))
				buf[i] = text[r % (sizeof(text) - 1)];
			else if (!strcmp(argv[3], "nul"))
				buf[i] = 0;
			else
				buf[i] = (char)(r >> 56);
		}
		if (fwrite(buf, 1, n, stdout) != n)
			return 1;
		size -= n;
	}
	return fflush(stdout) ? 1 : 0;
}
