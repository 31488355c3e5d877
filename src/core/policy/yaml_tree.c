// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libyaml event pass, first half: syntax errors with positions and the
 * position tree (struct ynode) that the shape check in policy_yaml.c walks,
 * with the fast path for long lists of plain values.
 */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "vigil/ival.h"
#include "vigil/policy_yaml.h"
#include "yaml_hint.h"
#include "yaml_tree.h"

/* ---- tree accessors ---- */

const struct ynode *ynode_item(const struct ynode *n, size_t i)
{
	if (!n || i >= n->n)
		return NULL;
	if (n->kind == YN_SEQ)
		return &n->kids[i];
	if (n->kind == YN_MAP)
		return &n->kids[2 * i + 1];
	return NULL;
}

const struct ynode *ynode_key(const struct ynode *map, const char *key)
{
	if (!map || map->kind != YN_MAP)
		return NULL;
	for (uint32_t i = 0; i < map->n; i++) {
		const struct ynode *k = &map->kids[2 * i];
		if (k->kind == YN_SCALAR && streq(k->val, key))
			return k;
	}
	return NULL;
}

const struct ynode *ynode_get(const struct ynode *map, const char *key)
{
	const struct ynode *k = ynode_key(map, key);
	return k ? k + 1 : NULL;
}

const struct ynode *ynode_elem(const struct ynode *n, size_t i)
{
	if (!n)
		return NULL;
	if (n->kind == YN_SEQ)
		return i < n->n ? &n->kids[i] : NULL;
	return i == 0 ? n : NULL;
}

static void ynode_free(struct ynode *n)
{
	if (n->kind == YN_SCALAR) {
		free(n->val);
		n->val = NULL;
		return;
	}
	uint32_t total = n->kind == YN_MAP ? 2 * n->n : n->n;
	for (uint32_t i = 0; i < total; i++)
		ynode_free(&n->kids[i]);
	free(n->kids);
	n->kids = NULL;
}

void ydoc_free(struct ydoc *doc)
{
	/*
	 * ynode_free recurses, but only over trees the builder made, whose
	 * depth it capped at YAML_MAX_DEPTH.
	 */
	ynode_free(&doc->root);
	free(doc->canon);
	doc->canon = NULL;
}

/* ---- building the tree from events ---- */

struct builder {
	struct ynode *stack[YAML_MAX_DEPTH + 1];
	uint32_t cap[YAML_MAX_DEPTH + 1];
	int depth;          /* number of open collections */
	bool have_root;
	size_t nodes;
};

/* A document with no node: an empty (null) scalar at 1:1. */
static void null_root(struct ynode *root)
{
	root->kind = YN_SCALAR;
	root->null = true;
	root->line = root->col = 1;
	root->val = xstrdup("");
}

static struct ynode *new_node(struct builder *b, struct ynode *root, const yaml_mark_t *m)
{
	struct ynode *n;

	if (b->depth == 0) {
		n = root;
		b->have_root = true;
	} else {
		struct ynode *p = b->stack[b->depth - 1];
		uint32_t *cap = &b->cap[b->depth - 1];
		/* MAP nodes count children here and halve at the end */
		if (p->n == *cap) {
			*cap = *cap ? *cap * 2 : 4;
			p->kids = xreallocarray(p->kids, *cap, sizeof(*p->kids));
		}
		n = &p->kids[p->n++];
	}
	memset(n, 0, sizeof(*n));
	n->line = (uint32_t)m->line + 1;
	n->col = (uint32_t)m->column + 1;
	b->nodes++;
	return n;
}

static bool is_null_scalar(const yaml_event_t *ev)
{
	const char *v = (const char *)ev->data.scalar.value;
	size_t l = ev->data.scalar.length;

	if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE || ev->data.scalar.tag)
		return false;
	return l == 0 || (l == 1 && v[0] == '~') ||
	       (l == 4 && (!memcmp(v, "null", 4) || !memcmp(v, "Null", 4) || !memcmp(v, "NULL", 4)));
}

/* line:col of a byte offset, for reader errors that carry only an offset. */
static void offset_to_loc(const char *buf, size_t len, size_t off, struct srcloc *at)
{
	unsigned line = 1, col = 1;

	for (size_t i = 0; i < off && i < len; i++) {
		if (buf[i] == '\n') {
			line++;
			col = 1;
		} else if (((unsigned char)buf[i] & 0xc0) != 0x80) {
			col++;
		}
	}
	at->line = line;
	at->col = col;
}

static void report_parser_error(const yaml_parser_t *p, const char *file, const char *buf,
				size_t len, struct diags *d)
{
	struct srcloc at = { file, 0, 0 };

	switch (p->error) {
	case YAML_MEMORY_ERROR:
		diag_err(d, at, "out of memory while reading YAML");
		return;
	case YAML_READER_ERROR:
		offset_to_loc(buf, len, p->problem_offset, &at);
		if (p->problem_value != -1)
			diag_err(d, at, "not a YAML text file: %s (byte 0x%02x)", p->problem,
				 (unsigned)p->problem_value & 0xff);
		else
			diag_err(d, at, "not a YAML text file: %s", p->problem);
		return;
	default:
		at.line = (unsigned)p->problem_mark.line + 1;
		at.col = (unsigned)p->problem_mark.column + 1;
		if (yaml_syntax_hint(p, buf, len, at, d))
			return;
		if (p->context && p->context_mark.line != p->problem_mark.line)
			diag_err(d, at, "YAML syntax error: %s (%s at line %u)",
				 p->problem ? p->problem : "unknown problem", p->context,
				 (unsigned)p->context_mark.line + 1);
		else if (p->context)
			diag_err(d, at, "YAML syntax error: %s (%s)",
				 p->problem ? p->problem : "unknown problem", p->context);
		else
			diag_err(d, at, "YAML syntax error: %s",
				 p->problem ? p->problem : "unknown problem");
		return;
	}
}

/*
 * The fast path for long lists. libyaml spends ~4,000 instructions on each
 * "- 192.0.2.0/24" line of a block sequence; a set of 100,000 inline
 * elements costs more than everything else vigild does before the kernel.
 * So before libyaml runs, runs of at least fast_min consecutive lines that
 * are certainly plain-scalar sequence entries
 *
 *     <spaces>-<spaces><value>[<spaces>[# ascii comment]]\n
 *
 * (value: a hex digit, then hex digits, '.', ':', '/' or '-', not ending in
 * ':'; the same indentation on every line) are recorded, and libyaml reads a
 * copy of the text where the run's first line holds a placeholder scalar and
 * the others are blank (line numbers stay). When libyaml reports the
 * placeholder as a plain scalar item of a block sequence, exactly where the
 * run's first line is, the run's entries become the sequence's items, with
 * their own lines and columns. Anything unexpected (a placeholder elsewhere
 * or changed, folded into a multi-line scalar or a block scalar, a run not
 * seen, any error at all) discards the result, and libyaml reads the
 * original text: the tree and messages are always those of a full parse.
 */
#define FAST_TAG "__vigil_fast_run_"
static size_t fast_min = 64;
static size_t fast_hits;

void policy_yaml_set_fast_min(size_t n)
{
	fast_min = n;
}

size_t policy_yaml_fast_hits(void)
{
	return fast_hits;
}

struct fast_item {
	uint32_t line, col, off, len; /* off/len: the value in the original text */
};

struct fast_run {
	uint32_t line, indent; /* of the first line, 1-based line */
	size_t first, n;       /* items[first .. first + n) */
	bool seen;
};

struct fastpath {
	char *text;
	size_t len;
	struct fast_run *runs;
	size_t nruns;
	struct fast_item *items;
	size_t nitems;
	bool anomaly;
};

static bool fast_value_char(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
	       c == '.' || c == ':' || c == '/' || c == '-';
}

/* One line [s, e) (e at its '\n'): a plain scalar sequence entry? */
static bool fast_line(const char *buf, size_t s, size_t e, uint32_t *indent, size_t *v,
		      size_t *vlen)
{
	size_t i = s, ve;

	while (i < e && buf[i] == ' ')
		i++;
	*indent = (uint32_t)(i - s);
	if (i + 2 >= e || buf[i] != '-' || buf[i + 1] != ' ')
		return false;
	i++;
	while (i < e && buf[i] == ' ')
		i++;
	if (i >= e || !isxdigit((unsigned char)buf[i]))
		return false;
	*v = i;
	while (i < e && fast_value_char((unsigned char)buf[i]))
		i++;
	ve = i;
	if (buf[ve - 1] == ':')
		return false;
	while (i < e && buf[i] == ' ')
		i++;
	if (i < e) {
		if (buf[i] != '#' || i == ve)
			return false; /* '#' right after the value belongs to it */
		for (; i < e; i++)
			if ((unsigned char)buf[i] < 0x20 || (unsigned char)buf[i] > 0x7e)
				return false;
	}
	*vlen = ve - *v;
	return true;
}

/* Finds the runs; false when there are none worth the trouble. */
static bool fast_prepare(const char *buf, size_t len, struct fastpath *fp)
{
	struct strbuf out = { 0 };
	size_t capruns = 0, capitems = 0, copied = 0, i = 0;
	uint32_t line = 1; /* of the line that starts at i */

	memset(fp, 0, sizeof(*fp));
	if (fast_min == SIZE_MAX || len > UINT32_MAX)
		return false;
	while (i < len) {
		size_t first = fp->nitems, n = 0, j = i;
		uint32_t indent0 = 0, lj = line;

		/* the longest run of entry lines with one indentation from here */
		for (;;) {
			const char *nl = memchr(buf + j, '\n', len - j);
			size_t e, v, vl;
			uint32_t indent;

			if (!nl)
				break;
			e = (size_t)(nl - buf);
			if (!fast_line(buf, j, e, &indent, &v, &vl) || (n && indent != indent0))
				break;
			indent0 = indent;
			GROW(fp->items, capitems, fp->nitems + 1);
			fp->items[fp->nitems++] =
				(struct fast_item){ lj, (uint32_t)(v - j + 1), (uint32_t)v, (uint32_t)vl };
			n++;
			j = e + 1;
			lj++;
		}
		if (n >= fast_min) {
			GROW(fp->runs, capruns, fp->nruns + 1);
			fp->runs[fp->nruns] = (struct fast_run){ line, indent0, first, n, false };
			sb_putn(&out, buf + copied, i - copied);
			for (uint32_t k = 0; k < indent0; k++)
				sb_puts(&out, " ");
			sb_printf(&out, "- " FAST_TAG "%zu__\n", fp->nruns);
			for (size_t k = 1; k < n; k++)
				sb_puts(&out, "\n");
			copied = j;
			fp->nruns++;
		} else {
			fp->nitems = first; /* too short: libyaml reads it */
		}
		if (n) {
			/* a run starting inside this one would end where it ends */
			i = j;
			line = lj;
		} else {
			const char *nl = memchr(buf + i, '\n', len - i);
			if (!nl)
				break;
			i = (size_t)(nl - buf) + 1;
			line++;
		}
	}
	if (!fp->nruns) {
		sb_free(&out);
		free(fp->items);
		fp->items = NULL;
		return false;
	}
	sb_putn(&out, buf + copied, len - copied);
	fp->len = out.len;
	fp->text = sb_take(&out);
	return true;
}

static void fast_free(struct fastpath *fp)
{
	free(fp->text);
	free(fp->runs);
	free(fp->items);
	memset(fp, 0, sizeof(*fp));
}

/* Is this scalar event one of our placeholders, and are we done with it? */
static bool fast_scalar(struct fastpath *fp, struct builder *b, struct ynode *root,
			const char *buf, const yaml_event_t *ev)
{
	const char *v = (const char *)ev->data.scalar.value;
	size_t l = ev->data.scalar.length, k;
	char want[64];
	struct fast_run *r;

	if (!fp || !memmem(v, l, FAST_TAG, sizeof(FAST_TAG) - 1))
		return false;
	fp->anomaly = true; /* unless everything below holds */
	if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE || ev->data.scalar.tag ||
	    ev->data.scalar.anchor || b->depth == 0 || b->stack[b->depth - 1]->kind != YN_SEQ ||
	    l < sizeof(FAST_TAG) + 2 || memcmp(v, FAST_TAG, sizeof(FAST_TAG) - 1))
		return true;
	k = strtoul(v + sizeof(FAST_TAG) - 1, NULL, 10);
	snprintf(want, sizeof(want), FAST_TAG "%zu__", k);
	if (k >= fp->nruns || strlen(want) != l || memcmp(want, v, l))
		return true;
	r = &fp->runs[k];
	if (r->seen || ev->start_mark.line + 1 != r->line || ev->start_mark.column != r->indent + 2)
		return true;
	r->seen = true;
	for (size_t j = 0; j < r->n; j++) {
		const struct fast_item *it = &fp->items[r->first + j];
		yaml_mark_t m = { 0, it->line - 1, it->col - 1 };
		struct ynode *n = new_node(b, root, &m);
		n->kind = YN_SCALAR;
		n->len = it->len;
		n->val = xmalloc(it->len + 1);
		memcpy(n->val, buf + it->off, it->len);
		n->val[it->len] = '\0';
	}
	fp->anomaly = false;
	return true;
}

/* Anchors (useless without aliases) and tags (vigild reads every value as
 * the text written, whatever its tag) are refused where they stand. True
 * when a tag was refused on a scalar without a value: `iif: !wan0` is a tag
 * and an empty value, which would only draw follow-on errors. */
static bool refuse_anchor_tag(const yaml_event_t *ev, struct srcloc at, struct diags *d)
{
	const yaml_char_t *anchor = NULL, *tag = NULL;
	static const char core[] = "tag:yaml.org,2002:";

	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		anchor = ev->data.scalar.anchor;
		tag = ev->data.scalar.tag;
		break;
	case YAML_SEQUENCE_START_EVENT:
		anchor = ev->data.sequence_start.anchor;
		tag = ev->data.sequence_start.tag;
		break;
	case YAML_MAPPING_START_EVENT:
		anchor = ev->data.mapping_start.anchor;
		tag = ev->data.mapping_start.tag;
		break;
	default:
		return false;
	}
	if (anchor)
		diag_err(d, at, "YAML anchors (&%s) are not supported in a policy, nor are aliases",
			 (const char *)anchor);
	if (!tag)
		return false;
	const char *t = (const char *)tag;
	bool is_core = strncmp(t, core, sizeof(core) - 1) == 0;
	bool bare = ev->type == YAML_SCALAR_EVENT && ev->data.scalar.length == 0;

	if (bare && t[0] == '!' && t[1] && !is_core)
		/* "!22", "!eth0": iptables' negation, read by YAML as a tag */
		diag_err(d, at, "YAML reads '%s' as a tag, not a value; if it is meant as a negation: %s",
			 t, NEGATION_WHY);
	else
		diag_err(d, at,
			 "YAML tags (%s%s) are not supported in a policy: vigild reads every value as the text written",
			 is_core ? "!!" : "", is_core ? t + sizeof(core) - 1 : t);
	return bare;
}

static int build_tree_from(const char *file, const char *buf, size_t len, struct ynode *root,
			   struct diags *d, struct fastpath *fp)
{
	yaml_parser_t p;
	yaml_event_t ev;
	struct builder b;
	int docs = 0, ret = 0;
	bool done = false;
	const char *text = fp ? fp->text : buf;
	size_t text_len = fp ? fp->len : len;

	memset(&b, 0, sizeof(b));
	if (!yaml_parser_initialize(&p)) {
		diag_err(d, ((struct srcloc){ file, 0, 0 }), "out of memory while reading YAML");
		return -ENOMEM;
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)text, text_len);

	while (!done) {
		struct ynode *n;
		struct srcloc at;

		if (!yaml_parser_parse(&p, &ev)) {
			report_parser_error(&p, file, text, text_len, d);
			ret = -EINVAL;
			break;
		}
		at = (struct srcloc){ file, (unsigned)ev.start_mark.line + 1,
				      (unsigned)ev.start_mark.column + 1 };
		bool tag_only = refuse_anchor_tag(&ev, at, d);
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (++docs > 1) {
				diag_err(d, at, "only one YAML document is allowed in a policy");
				ret = -EINVAL;
				done = true;
			}
			break;
		case YAML_MAPPING_START_EVENT:
		case YAML_SEQUENCE_START_EVENT:
			if (b.depth >= YAML_MAX_DEPTH) {
				diag_err(d, at, "YAML nesting deeper than %d levels", YAML_MAX_DEPTH);
				ret = -EINVAL;
				done = true;
				break;
			}
			n = new_node(&b, root, &ev.start_mark);
			n->kind = ev.type == YAML_MAPPING_START_EVENT ? YN_MAP : YN_SEQ;
			b.stack[b.depth] = n;
			b.cap[b.depth] = 0;
			b.depth++;
			break;
		case YAML_MAPPING_END_EVENT:
		case YAML_SEQUENCE_END_EVENT:
			n = b.stack[--b.depth];
			if (n->kind == YN_MAP)
				n->n /= 2; /* key/value pairs */
			break;
		case YAML_SCALAR_EVENT:
			if (fast_scalar(fp, &b, root, buf, &ev)) {
				if (fp->anomaly)
					done = true;
				break;
			}
			n = new_node(&b, root, &ev.start_mark);
			n->kind = YN_SCALAR;
			n->null = is_null_scalar(&ev);
			n->bad = tag_only;
			n->len = (uint32_t)ev.data.scalar.length;
			n->val = xmalloc(ev.data.scalar.length + 1);
			memcpy(n->val, ev.data.scalar.value, ev.data.scalar.length);
			n->val[ev.data.scalar.length] = '\0';
			break;
		case YAML_ALIAS_EVENT:
			n = new_node(&b, root, &ev.start_mark);
			n->kind = YN_SCALAR;
			n->bad = true;
			n->val = xstrdup("");
			diag_err(d, at, "YAML aliases (*%s) are not supported in a policy",
				 (const char *)ev.data.alias.anchor);
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
		if (b.nodes > YAML_MAX_NODES) {
			diag_err(d, at,
				 "the document has more than %u values; load large lists from a set file",
				 YAML_MAX_NODES);
			ret = -EINVAL;
			done = true;
		}
	}
	yaml_parser_delete(&p);

	/* close what an early stop left open, so the tree is well formed */
	while (b.depth > 0) {
		struct ynode *n = b.stack[--b.depth];
		if (n->kind != YN_MAP)
			continue;
		/* a key whose value never came: drop it, or it is never freed */
		if (n->n % 2)
			ynode_free(&n->kids[--n->n]);
		n->n /= 2;
	}
	if (!b.have_root)
		null_root(root);
	return ret;
}

/*
 * Line breaks that only YAML 1.1 has. libyaml ends a line at NEL (U+0085),
 * LINE SEPARATOR (U+2028), PARAGRAPH SEPARATOR (U+2029) and a lone CR;
 * editors, grep and YAML 1.2 do not, so lines would be numbered differently
 * from what the user sees, and a comment could end in the middle. Refused,
 * at the first one. UTF-16, which libyaml reads too, is refused.
 */
static int odd_line_breaks(const char *file, const char *buf, size_t len, struct diags *d)
{
	unsigned line = 1, col = 1;

	/* libyaml would read UTF-16 too, past every check below: refused */
	if (len >= 2 && (((unsigned char)buf[0] == 0xff && (unsigned char)buf[1] == 0xfe) ||
			 ((unsigned char)buf[0] == 0xfe && (unsigned char)buf[1] == 0xff))) {
		diag_err(d, ((struct srcloc){ file, 1, 1 }),
			 "the policy is UTF-16 (it starts with a UTF-16 byte order mark): policies are UTF-8 (iconv -f UTF-16 -t UTF-8 converts it)");
		return -EINVAL;
	}
	for (size_t i = 0; i < len; i++) {
		const unsigned char *c = (const unsigned char *)buf + i;
		const char *what = NULL;

		if (*c == '\n') {
			line++;
			col = 1;
			continue;
		}
		if (*c == '\r' && (i + 1 == len || c[1] != '\n'))
			what = "a carriage return without a line feed";
		else if (*c == 0xc2 && i + 1 < len && c[1] == 0x85)
			what = "U+0085 (next line)";
		else if (*c == 0xe2 && i + 2 < len && c[1] == 0x80 && (c[2] == 0xa8 || c[2] == 0xa9))
			what = c[2] == 0xa8 ? "U+2028 (line separator)" : "U+2029 (paragraph separator)";
		if (what) {
			diag_err(d, ((struct srcloc){ file, line, col }),
				 "%s is not allowed in a policy: YAML 1.1 reads it as a line break where editors see none (lines end with \\n or \\r\\n)",
				 what);
			return -EINVAL;
		}
		if ((*c & 0xc0) != 0x80)
			col++; /* columns count characters */
	}
	return 0;
}

int yaml_tree_build(const char *file, const char *buf, size_t len, struct ynode *root,
		    struct diags *d)
{
	struct fastpath fp;
	struct diags fd = { 0 };
	int ret;

	ret = odd_line_breaks(file, buf, len, d);
	if (ret < 0) {
		null_root(root);
		return ret;
	}
	if (fast_prepare(buf, len, &fp)) {
		ret = build_tree_from(file, buf, len, root, &fd, &fp);
		bool clean = ret == 0 && fd.n == 0 && !fp.anomaly;
		for (size_t k = 0; clean && k < fp.nruns; k++)
			clean = fp.runs[k].seen;
		fast_free(&fp);
		diags_free(&fd);
		if (clean) {
			fast_hits++;
			return 0;
		}
		/* not what a full parse would give for certain: do that */
		ynode_free(root);
		memset(root, 0, sizeof(*root));
	}
	return build_tree_from(file, buf, len, root, d, NULL);
}

