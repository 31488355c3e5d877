// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: the policy front end and the compiler, on arbitrary
 * text. Whatever policy_compile_buffer accepts must compile (within the
 * limits), render, and encode to a batch the commit helper's verifier
 * accepts: a compiler output the verifier refuses is a crash here.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/batch.h"
#include "vigil/ir.h"
#include "vigil/nftc.h"
#include "vigil/policy.h"
#include "vigil/render.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One set file, "s.txt"; everything else is missing. */
static int read_file(void *ctx, const char *path, size_t max, char **buf, size_t *len)
{
	static const char s[] = "10.0.0.0/8\n2001:db8::/32 # v6\n192.0.2.7\n22\n";

	(void)ctx;
	if (strcmp(path, "s.txt"))
		return -ENOENT;
	if (sizeof(s) - 1 > max)
		return -EFBIG;
	*buf = strdup(s);
	*len = sizeof(s) - 1;
	return *buf ? 0 : -ENOMEM;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy_opts po = { .table = "vigil", .read_file = read_file };
	/* small limits keep each run fast; they are checked all the same */
	struct ir_opts io = { .max_rules = 20000, .max_elems = 200000 };
	struct diags d = { 0 };
	struct policy pol;
	struct ir_table t;
	char *text;

	if (size > (1u << 20))
		return 0;
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (policy_compile_buffer("fuzz.yml", text, size, &po, &pol, &d) == 0) {
		if (ir_compile(&pol, &io, &t) == 0) {
			struct strbuf sb = { 0 };
			struct batch b;
			struct batch_refusal r;

			render_table(&sb, &t, &pol);
			sb_free(&sb);
			batch_init(&b, 1);
			nftc_build_replace(&t, &b);
			if (batch_verify(b.buf, b.len, pol.table, &r) != 0) {
				fprintf(stderr, "the verifier refuses the compiler's batch: %s\n", r.why);
				abort();
			}
			batch_free(&b);
		} else {
			ir_over_diag(&t, &pol, &d);
		}
		ir_table_free(&t);
		policy_free(&pol);
	}
	diags_free(&d);
	free(text);
	return 0;
}
