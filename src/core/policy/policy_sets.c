// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Sets of a policy: inline elements (read from the position tree) and set
 * files (read through the caller's callback), merged; and lookups by name.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vigil/names.h"
#include "vigil/policy.h"
#include "check.h"

/* ---- sets ---- */

static void add_cidr(struct pset *s, enum addr_family f, const struct ival *iv)
{
	ivlist_add(f == AF_V4 ? &s->v4 : &s->v6, iv->lo, iv->hi);
}

/* The other type's name, when tok is an entry of it: a set file of the
 * wrong type (a port set pointed at a list of addresses). */
static const char *other_type(const struct pset *set, const char *tok)
{
	struct ival iv;
	const char *why;
	enum addr_family f;

	if (set->type == PSET_PORT)
		return addr_parse(tok, &f, &iv, &why) == 0 ? "addresses" : NULL;
	return port_parse(tok, &iv, &why) == 0 ? "ports" : NULL;
}

/*
 * A set file's text as a diagnostic may show it: a short token of the
 * characters addresses, ranges and ports are made of, quoted; anything else
 * (a line of /etc/shadow that a set file was pointed at, a key) is only
 * described. A set file may be read with more rights than its reader has
 * (check as root), and a diagnostic must not be a way to read it.
 */
static const char *shown_n(const char *tok, size_t n, char *buf, size_t len)
{
	if (n <= 64 && strspn(tok, "0123456789abcdefABCDEF.:/-!+, \t") >= n) {
		snprintf(buf, len, "'%.*s'", (int)n, tok);
		return buf;
	}
	snprintf(buf, len, "(an entry of %zu characters, not shown: it is not address-shaped)", n);
	return buf;
}

static const char *shown(const char *tok, char *buf, size_t len)
{
	size_t n = strlen(tok);

	if (n <= 45 && strspn(tok, "0123456789abcdefABCDEF.:/-!+,") == n) {
		snprintf(buf, len, "'%s'", tok);
		return buf;
	}
	snprintf(buf, len, "(an entry of %zu characters, not shown: it is not address-shaped)", n);
	return buf;
}

/* One entry of a set file (tok: NUL-terminated, no blanks). */
static void setfile_entry(struct pset *set, const char *tok, struct srcloc l, struct diags *d)
{
	struct ival iv;
	const char *why;
	enum addr_family f;
	char sh[96];

	if (set->type == PSET_CIDR) {
		if (addr_parse(tok, &f, &iv, &why) < 0) {
			diag_err(d, l, "bad address %s in set '%s': %s", shown(tok, sh, sizeof(sh)),
				 set->name, why);
			set->broken = true;
			return;
		}
		add_cidr(set, f, &iv);
	} else {
		if (port_parse(tok, &iv, &why) < 0) {
			diag_err(d, l, "bad port %s in set '%s': %s", shown(tok, sh, sizeof(sh)),
				 set->name, why);
			set->broken = true;
			return;
		}
		ivlist_add(&set->ports, iv.lo, iv.hi);
	}
	set->entries++;
}

/*
 * Where a line's entry is: comments start at '#' (FireHOL netsets, hosts
 * files) or ';' (Spamhaus DROP/EDROP: "; Spamhaus DROP List", "1.10.16.0/20
 * ; SBL256894"); neither appears in an address or a port. Blanks and a CR
 * (CRLF files) around it go. Sets *a == *b for a line without an entry.
 */
static void entry_bounds(const char *buf, size_t start, size_t end, size_t *a, size_t *b)
{
	for (size_t k = start; k < end; k++)
		if (buf[k] == '#' || buf[k] == ';') {
			end = k;
			break;
		}
	*a = start;
	while (*a < end && (buf[*a] == ' ' || buf[*a] == '\t' || buf[*a] == '\r'))
		(*a)++;
	*b = end;
	while (*b > *a && (buf[*b - 1] == ' ' || buf[*b - 1] == '\t' || buf[*b - 1] == '\r'))
		(*b)--;
}

/* Entries of the other type (a port set's file of addresses): said once. */
struct wrong {
	size_t n;
	struct srcloc first;
	char tok[96];
	const char *kind;
};

static void wrong_type(const struct pset *set, const struct wrong *w, struct diags *d)
{
	char sh[96];

	if (w->n == 1)
		diag_err(d, w->first, "set '%s' is of type %s, but its file holds %s: %s here",
			 set->name, set->type == PSET_CIDR ? "cidr" : "port", w->kind,
			 shown(w->tok, sh, sizeof(sh)));
	else if (w->n)
		diag_err(d, w->first,
			 "set '%s' is of type %s, but its file holds %s: %s here and on %zu more %s",
			 set->name, set->type == PSET_CIDR ? "cidr" : "port", w->kind,
			 shown(w->tok, sh, sizeof(sh)), w->n - 1, w->n == 2 ? "line" : "lines");
}

void setfile_parse(const char *file, const char *buf, size_t len, struct pset *set,
		   struct diags *d)
{
	size_t i = 0;
	unsigned line = 0;
	struct wrong w = { 0, { file, 0, 0 }, "", NULL };

	/* a UTF-8 byte order mark, as Windows editors and spreadsheets write */
	if (len >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3))
		i = 3;
	while (i < len) {
		size_t start = i, end, a, b;
		char tok[96];

		line++;
		while (i < len && buf[i] != '\n')
			i++;
		end = i;
		i++; /* past '\n' */
		entry_bounds(buf, start, end, &a, &b);
		if (a == b)
			continue;

		struct srcloc l = { file, line, (unsigned)(a - start + 1) };
		for (size_t k = a; k < b; k++) {
			unsigned char ch = (unsigned char)buf[k];
			if ((ch < 0x20 && ch != '\t') || ch >= 0x7f) {
				/* binary data: one error (not one per "line" of it), and
				 * never its bytes in a message */
				l.col = (unsigned)(k - start + 1);
				diag_err(d, l, "not a text file: byte 0x%02x; a set file holds one %s a line",
					 ch, set->type == PSET_CIDR ? "address or prefix" : "port or range");
				set->broken = true;
				wrong_type(set, &w, d);
				return;
			}
		}
		if (memchr(buf + a, ' ', b - a) || memchr(buf + a, '\t', b - a) ||
		    memchr(buf + a, ',', b - a)) {
			char sh[96];

			diag_err(d, l, "one entry a line: %s holds more than one",
				 shown_n(buf + a, b - a, sh, sizeof(sh)));
			set->broken = true;
			continue;
		}
		if (b - a >= sizeof(tok)) {
			diag_err(d, l, "entry too long to be %s",
				 set->type == PSET_CIDR ? "an address or prefix" : "a port or range");
			set->broken = true;
			continue;
		}
		memcpy(tok, buf + a, b - a);
		tok[b - a] = '\0';
		/* a file of the other type: said once, for the whole file */
		const char *other = other_type(set, tok);
		if (other) {
			if (!w.n++) {
				w.first = l;
				w.kind = other;
				memcpy(w.tok, tok, b - a + 1);
			}
			set->broken = true;
			continue;
		}
		setfile_entry(set, tok, l, d);
		if (set->entries > SET_MAX_ENTRIES) {
			diag_err(d, l, "set '%s' has more than %u entries", set->name, SET_MAX_ENTRIES);
			wrong_type(set, &w, d);
			return;
		}
	}
	wrong_type(set, &w, d);
}

static char *display_path(const char *policy_file, const char *path)
{
	const char *slash = strrchr(policy_file, '/');

	if (path[0] == '/' || !slash)
		return xstrdup(path);
	return xasprintf("%.*s/%s", (int)(slash - policy_file), policy_file, path);
}

/* " (looked in DIR, the policy's directory)" for a relative path, when the
 * caller said where it reads from; "" otherwise. Caller frees. */
static char *where(const struct ck *c, const char *path)
{
	if (path[0] == '/' || !c->opts || !c->opts->set_dir)
		return xstrdup("");
	return xasprintf(" (looked in %s, %s)", c->opts->set_dir,
			 c->opts->set_dir_is_cwd ? "the working directory: the policy came from stdin"
						 : "the policy's directory");
}

static void load_set_file(struct ck *c, struct pset *s, const char *path, const struct ynode *fn,
			  bool inline_elements)
{
	size_t max = c->opts && c->opts->max_set_file ? c->opts->max_set_file : SETFILE_MAX;
	_cleanup_free_ char *buf = NULL;
	_cleanup_free_ char *shown = NULL;
	_cleanup_free_ char *w = NULL;
	size_t len = 0, before = s->entries, errs = c->d->nerr;
	int r;

	if (!*path) {
		diag_err(c->d, at(c, fn), "set '%s': 'file' is empty", s->name);
		s->broken = true;
		return;
	}
	if (!c->opts || !c->opts->read_file) {
		diag_err(c->d, at(c, fn), "set '%s': set files cannot be read here", s->name);
		s->broken = true;
		return;
	}
	w = where(c, path);
	r = c->opts->read_file(c->opts->read_ctx, path, max, &buf, &len);
	if (r < 0)
		s->broken = true;
	if (r == -EFBIG) {
		diag_err(c->d, at(c, fn), "set file '%s'%s is larger than the limit of %zu MiB", path,
			 w, max >> 20);
		return;
	}
	if (r == POLICY_READ_NOT_REGULAR) {
		diag_err(c->d, at(c, fn),
			 "set file '%s'%s is not a regular file (a pipe, a device or a socket): set files are read whole, from regular files only",
			 path, w);
		return;
	}
	if (r == POLICY_READ_CONFINED) {
		diag_err(c->d, at(c, fn),
			 "set file '%s'%s is outside the directories this vigild watch may read: they are fixed when it starts (its policy's directory and its set files' directories, Landlock); restart the watch to read set files from a new directory, or put the file beside the others",
			 path, w);
		return;
	}
	if (r == -EACCES && c->opts->as_user) {
		diag_err(c->d, at(c, fn),
			 "cannot read set file '%s'%s: %s (vigild reads set files as user '%s' after dropping privileges: make the file and its directory readable by that user)",
			 path, w, strerror(-r), c->opts->as_user);
		return;
	}
	if (r < 0) {
		diag_err(c->d, at(c, fn), "cannot read set file '%s'%s: %s", path, w, strerror(-r));
		return;
	}
	shown = display_path(c->file, path);
	setfile_parse(shown, buf, len, s, c->d);
	/* an empty file is allowed (a list to fill later), but a truncated
	 * one reads the same: say so */
	if (s->entries == before && c->d->nerr == errs)
		diag_warn(c->d, at(c, fn), "set file '%s'%s holds no entries%s", path, w,
			  inline_elements ? "" : ": the set is empty");
}

static int cmp_set_name(const void *a, const void *b)
{
	return strcmp((*(struct pset *const *)a)->name, (*(struct pset *const *)b)->name);
}

void check_sets(struct ck *c, const struct pdoc *pd)
{
	const struct ynode *sn = ynode_get(c->root, "sets");

	c->pol->sets = xcalloc(pd->sets_count, sizeof(*c->pol->sets));
	for (unsigned i = 0; i < pd->sets_count; i++) {
		const struct pdoc_set *ds = &pd->sets[i];
		const struct ynode *kn = sn && sn->kind == YN_MAP && i < sn->n ? &sn->kids[2 * i] : NULL;
		const struct ynode *vn = kn ? kn + 1 : NULL;
		struct pset *s = &c->pol->sets[c->pol->nsets];
		bool name_ok = ds->name && valid_name(ds->name, false);

		if (!name_ok && !quiet(kn))
			diag_err(c->d, at(c, kn),
				 "invalid set name '%s': use a lower-case letter, then up to 31 letters, digits, '_' or '-'",
				 ds->name ? ds->name : "");
		if (quiet(kn) || quiet(vn) || !ds->name)
			continue; /* duplicate or malformed: reported already */
		s->name = xstrdup(ds->name);
		s->loc = at(c, kn);
		c->pol->nsets++;

		s->broken = !ds->type; /* reported by the shape check */
		if (!ds->type)
			continue;
		if (streq(ds->type, "cidr"))
			s->type = PSET_CIDR;
		else if (streq(ds->type, "address")) {
			s->type = PSET_CIDR;
			s->single = true;
		} else if (streq(ds->type, "port"))
			s->type = PSET_PORT;
		else {
			diag_err(c->d, at(c, ynode_get(vn, "type")),
				 "set '%s': type must be cidr, address or port, not '%s'", s->name, ds->type);
			s->broken = true;
			continue;
		}
		/* a port set keeps its name in the kernel; a cidr set's get _v4/_v6 */
		if (s->type == PSET_PORT && name_ok && nft_keyword(s->name))
			diag_err(c->d, s->loc,
				 "invalid name '%s' for a port set: it is a keyword of nft's language, which nft cannot read as a set name; choose another",
				 s->name);
		if (check_dynamic(c, s, ds, vn))
			continue;
		if (!ynode_get(vn, "elements") && !ds->file) {
			diag_err(c->d, s->loc, "set '%s' needs 'elements' or 'file'", s->name);
			s->broken = true;
		}
		/* elements come from the position tree (see walk_list) */
		const struct ynode *els = ynode_get(vn, "elements"), *en;
		if (quiet(els))
			s->broken = true;
		for (size_t j = 0; (en = els && !els->bad ? ynode_elem(els, j) : NULL); j++) {
			const char *v = en->val, *why;
			enum addr_family f;
			struct ival iv;

			if (en->kind != YN_SCALAR || quiet(en)) {
				s->broken = true; /* reported by the shape check */
				continue;
			}
			if (en->null)
				continue; /* "elements:" without a value: empty */
			if (s->type == PSET_CIDR) {
				if (addr_parse(v, &f, &iv, &why) < 0) {
					diag_err(c->d, at(c, en), "bad address '%s' in set '%s': %s", v,
						 s->name, why);
					s->broken = true;
				} else {
					add_cidr(s, f, &iv);
				}
			} else {
				if (port_parse(v, &iv, &why) < 0) {
					diag_err(c->d, at(c, en), "bad port '%s' in set '%s': %s", v,
						 s->name, why);
					s->broken = true;
				} else {
					ivlist_add(&s->ports, iv.lo, iv.hi);
				}
			}
			s->entries++;
		}
		if (s->entries > SET_MAX_ENTRIES)
			diag_err(c->d, s->loc, "set '%s' has more than %u entries", s->name,
				 SET_MAX_ENTRIES);
		if (ds->file)
			load_set_file(c, s, ds->file, ynode_get(vn, "file"), els != NULL);
		ivlist_merge(&s->v4);
		ivlist_merge(&s->v6);
		ivlist_normalize(&s->ports);
	}
	/* a sorted index: a policy may hold many sets and many references */
	c->byname = xcalloc(c->pol->nsets, sizeof(*c->byname));
	for (size_t i = 0; i < c->pol->nsets; i++)
		c->byname[i] = &c->pol->sets[i];
	qsort(c->byname, c->pol->nsets, sizeof(*c->byname), cmp_set_name);
}

struct pset *find_set(struct ck *c, const char *name)
{
	struct pset key = { .name = (char *)name }, *kp = &key, **r;

	r = bsearch(&kp, c->byname, c->pol->nsets, sizeof(*c->byname), cmp_set_name);
	return r ? *r : NULL;
}

void unknown_set(struct ck *c, const struct ynode *n, const char *name)
{
	struct suggest sg;
	struct strbuf sb = { 0 };
	/* a suggestion costs a comparison with every set: only for the first few */
	bool suggest = c->unknown_sets++ < 64;

	suggest_init(&sg, name);
	for (size_t i = 0; suggest && i < c->pol->nsets; i++)
		suggest_try(&sg, c->pol->sets[i].name);
	suggest_format(&sg, "@", &sb);
	diag_err(c->d, at(c, n), "unknown set '@%s'%s", name, sb.s ? sb.s : "");
	sb_free(&sb);
}
