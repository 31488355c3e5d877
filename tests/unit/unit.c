// SPDX-License-Identifier: GPL-2.0-or-later
/* Shared helpers of the unit tests. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "unit.h"
#include "vigil/util.h"

int unit_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_set_tap(sr, "-");
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_SILENT);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

int fake_read(void *ctx, const char *path, size_t max, char **buf, size_t *len)
{
	struct fake_fs *fs = ctx;

	fs->calls++;
	snprintf(fs->last_path, sizeof(fs->last_path), "%s", path);
	fs->last_max = max;
	for (size_t i = 0; i < fs->n; i++) {
		const struct fake_file *f = &fs->files[i];
		size_t n;

		if (!streq(f->path, path))
			continue;
		if (f->err)
			return f->err;
		n = f->len ? f->len : strlen(f->data);
		if (n > max)
			return -EFBIG;
		*buf = xmalloc(n + 1);
		memcpy(*buf, f->data, n);
		(*buf)[n] = '\0';
		*len = n;
		return 0;
	}
	return -ENOENT;
}

char *diags_text(struct diags *d)
{
	struct strbuf sb = { 0 };

	diags_sort(d);
	for (size_t i = 0; i < d->n; i++)
		diag_format(&d->v[i], &sb);
	if (!sb.s)
		return xstrdup("");
	return sb_take(&sb);
}

int check_text(const char *file, const char *yaml, struct fake_fs *fs, struct policy *pol,
	       char **out)
{
	struct fake_fs none = { 0 };
	struct policy_opts po = { .read_file = fake_read, .read_ctx = fs ? fs : &none };
	struct diags d = { 0 };
	int r;

	r = policy_compile_buffer(file, yaml, strlen(yaml), &po, pol, &d);
	*out = diags_text(&d);
	diags_free(&d);
	return r;
}

char *errors_of(const char *yaml)
{
	struct policy pol;
	char *out = NULL;
	int r = check_text("p.yml", yaml, NULL, &pol, &out);

	policy_free(&pol);
	ck_assert_msg(r < 0, "policy unexpectedly valid:\n%s\ndiagnostics: %s", yaml, out);
	return out;
}

void compile_text(const char *yaml, struct fake_fs *fs, struct policy *pol, struct ir_table *t)
{
	_cleanup_free_ char *out = NULL;
	int r = check_text("p.yml", yaml, fs, pol, &out);

	ck_assert_msg(r == 0, "policy invalid:\n%s\ndiagnostics:\n%s", yaml, out);
	ir_compile(pol, NULL, t);
}

char *read_src_file(const char *rel, size_t *len)
{
	const char *dir = getenv("VIGIL_SRCDIR");
	_cleanup_free_ char *path = NULL;
	struct strbuf sb = { 0 };
	char chunk[65536];
	size_t n;
	FILE *f;

	ck_assert_msg(dir, "VIGIL_SRCDIR is not set (run through meson test)");
	path = xasprintf("%s/%s", dir, rel);
	f = fopen(path, "re");
	ck_assert_msg(f, "cannot open %s: %s", path, strerror(errno));
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		sb_putn(&sb, chunk, n);
	fclose(f);
	if (len)
		*len = sb.len;
	return sb.s ? sb_take(&sb) : xstrdup("");
}

char *text_replace(const char *s, const char *from, const char *to)
{
	const char *p = strstr(s, from);
	struct strbuf sb = { 0 };

	ck_assert_ptr_nonnull(p);
	sb_putn(&sb, s, (size_t)(p - s));
	sb_puts(&sb, to);
	sb_puts(&sb, p + strlen(from));
	return sb_take(&sb);
}

void text_is(const char *what, const char *got, const char *want)
{
	unsigned line = 1;
	const char *g = got, *w = want;

	while (*g && *g == *w) {
		if (*g == '\n')
			line++;
		g++;
		w++;
	}
	if (!*g && !*w)
		return;
	while (g > got && g[-1] != '\n')
		g--;
	while (w > want && w[-1] != '\n')
		w--;
	ck_abort_msg("%s: line %u differs:\n got: %.*s\nwant: %.*s", what, line,
		     (int)strcspn(g, "\n"), g, (int)strcspn(w, "\n"), w);
}
