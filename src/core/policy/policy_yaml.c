// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libyaml event pass, second half: the shape check of the position tree
 * (built by yaml_tree.c) against the policy schema and the canonical
 * re-emission that libcyaml loads (see policy_yaml.h for why this pass
 * exists).
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

/* ---- the shape of policy format version 1 ---- */

enum shape {
	SH_SCALAR, /* one value */
	SH_LIST,   /* one value or a sequence of values */
	SH_ELEMS,  /* like SH_LIST, but empty is fine (set elements) */
	SH_MAP,    /* a mapping with known keys */
	SH_SETS,   /* a mapping of set name -> set mapping */
	SH_RULES,  /* a sequence of rule mappings */
	SH_ZONES,  /* a mapping of zone name -> list of interface names */
	SH_ORMAP,  /* a value, or a mapping of known keys read from the tree
		    * (not emitted: policy_log.c, policy_defer.c read it) */
};

struct field {
	const char *key;
	enum shape shape;
	bool required;
	const struct field *sub; /* SH_MAP, SH_SETS, SH_RULES: fields of the inner mapping */
};

static const struct field log_fields[] = {
	{ "rate", SH_SCALAR, false, NULL },
	{ "burst", SH_SCALAR, false, NULL },
	{ "prefix", SH_SCALAR, false, NULL },
	{ "kernel", SH_SCALAR, false, NULL },
	{ NULL, 0, false, NULL },
};

static const struct field forward_fields[] = {
	{ "default", SH_SCALAR, false, NULL },
	{ "defer-to", SH_ELEMS, false, NULL },
	{ NULL, 0, false, NULL },
};

static const struct field defaults_fields[] = {
	{ "input", SH_SCALAR, false, NULL },
	{ "forward", SH_ORMAP, false, forward_fields },
	{ "output", SH_SCALAR, false, NULL },
	{ "log", SH_ORMAP, false, log_fields },
	{ NULL, 0, false, NULL },
};

static const struct field set_fields[] = {
	{ "type", SH_SCALAR, true, NULL },
	{ "elements", SH_ELEMS, false, NULL },
	{ "file", SH_SCALAR, false, NULL },
	{ "dynamic", SH_SCALAR, false, NULL },
	{ "timeout", SH_SCALAR, false, NULL },
	{ "size", SH_SCALAR, false, NULL },
	{ NULL, 0, false, NULL },
};

static const struct field rule_fields[] = {
	{ "name", SH_SCALAR, true, NULL },
	{ "chain", SH_SCALAR, true, NULL },
	{ "proto", SH_LIST, false, NULL },
	{ "src", SH_LIST, false, NULL },
	{ "dst", SH_LIST, false, NULL },
	{ "sport", SH_LIST, false, NULL },
	{ "dport", SH_LIST, false, NULL },
	{ "iif", SH_LIST, false, NULL },
	{ "oif", SH_LIST, false, NULL },
	{ "icmp-type", SH_LIST, false, NULL },
	{ "action", SH_SCALAR, true, NULL },
	{ "log", SH_ORMAP, false, log_fields },
	{ "comment", SH_SCALAR, false, NULL },
	{ "limit", SH_SCALAR, false, NULL },
	{ "per-source", SH_SCALAR, false, NULL },
	{ "ct-count", SH_SCALAR, false, NULL },
	{ "over", SH_SCALAR, false, NULL },
	{ NULL, 0, false, NULL },
};

static const struct field nat_fields[] = {
	{ "name", SH_SCALAR, true, NULL },
	{ "proto", SH_LIST, false, NULL },
	{ "src", SH_LIST, false, NULL },
	{ "dst", SH_LIST, false, NULL },
	{ "sport", SH_LIST, false, NULL },
	{ "dport", SH_LIST, false, NULL },
	{ "iif", SH_LIST, false, NULL },
	{ "oif", SH_LIST, false, NULL },
	{ "action", SH_SCALAR, true, NULL },
	{ "to", SH_SCALAR, false, NULL },
	{ "accept", SH_SCALAR, false, NULL },
	{ NULL, 0, false, NULL },
};

static const struct field top_fields[] = {
	{ "version", SH_SCALAR, true, NULL },
	{ "table", SH_SCALAR, false, NULL },
	{ "revoke", SH_SCALAR, false, NULL },
	{ "defaults", SH_MAP, false, defaults_fields },
	{ "sets", SH_SETS, false, set_fields },
	{ "rules", SH_RULES, false, rule_fields },
	{ "nat", SH_RULES, false, nat_fields },
	{ "zones", SH_ZONES, false, NULL },
	{ NULL, 0, false, NULL },
};

/* ---- the shape check and the canonical emitter ---- */

struct walk {
	const char *file;
	struct diags *d;
	yaml_emitter_t em;
	struct strbuf out;
	bool em_failed;
	bool mute;     /* checking a part that is not emitted (SH_ORMAP mappings) */
};

static int write_handler(void *data, unsigned char *buffer, size_t size)
{
	struct strbuf *sb = data;
	sb_putn(sb, (const char *)buffer, size);
	return 1;
}

static void emit(struct walk *w, yaml_event_t *ev)
{
	if (w->em_failed || w->mute) {
		yaml_event_delete(ev);
		return;
	}
	if (!yaml_emitter_emit(&w->em, ev))
		w->em_failed = true;
}

static void emit_scalar(struct walk *w, const char *v, size_t len)
{
	yaml_event_t ev;

	if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)v, (int)len, 0, 1,
					  YAML_DOUBLE_QUOTED_SCALAR_STYLE)) {
		w->em_failed = true;
		return;
	}
	emit(w, &ev);
}

static void emit_str(struct walk *w, const char *v)
{
	emit_scalar(w, v, strlen(v));
}

static void emit_map_start(struct walk *w)
{
	yaml_event_t ev;
	yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE);
	emit(w, &ev);
}

static void emit_map_end(struct walk *w)
{
	yaml_event_t ev;
	yaml_mapping_end_event_initialize(&ev);
	emit(w, &ev);
}

static void emit_seq_start(struct walk *w)
{
	yaml_event_t ev;
	yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE);
	emit(w, &ev);
}

static void emit_seq_end(struct walk *w)
{
	yaml_event_t ev;
	yaml_sequence_end_event_initialize(&ev);
	emit(w, &ev);
}

static struct srcloc loc(const struct walk *w, const struct ynode *n)
{
	return ynode_loc(w->file, n);
}

static const char *kind_name(const struct ynode *n)
{
	switch (n->kind) {
	case YN_SEQ:
		return "a list";
	case YN_MAP:
		return "a mapping";
	default:
		return n->null ? "empty" : "a single value";
	}
}


static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/*
 * A did-you-mean only for a likely typo (see struct suggest); otherwise the
 * keys valid here, so a key of a feature vigild lacks, or one another key
 * covers, is not answered with an unrelated name.
 */
static void unknown_key(struct walk *w, const struct ynode *k, const struct field *fields,
			const char *what)
{
	struct suggest sg;
	struct strbuf sb = { 0 };

	suggest_init(&sg, k->val);
	for (const struct field *f = fields; f->key; f++)
		suggest_try(&sg, f->key);
	if (sg.n) {
		suggest_format(&sg, "", &sb);
	} else {
		sb_puts(&sb, "; expected one of: ");
		for (const struct field *f = fields; f->key; f++)
			sb_printf(&sb, "%s%s", f == fields ? "" : ", ", f->key);
		/* {dport: 80,443} in flow style makes 443 a key of its own */
		if (all_digits(k->val))
			sb_puts(&sb, " (a list of values is written [80, 443], not 80,443)");
	}
	diag_err(w->d, loc(w, k), "unknown key '%s' in %s%s", k->val, what, sb.s);
	sb_free(&sb);
}

/* A scalar fit to be a value: not null, no NUL bytes. Reports otherwise. */
static bool good_scalar(struct walk *w, struct ynode *n, const char *key)
{
	if (n->bad)
		return false;
	if (n->kind != YN_SCALAR) {
		diag_err(w->d, loc(w, n), "'%s' must be a single value, not %s", key, kind_name(n));
		n->bad = true;
		return false;
	}
	if (n->null) {
		diag_err(w->d, loc(w, n), "'%s' has no value", key);
		n->bad = true;
		return false;
	}
	if (strlen(n->val) != n->len) {
		diag_err(w->d, loc(w, n), "'%s' contains a NUL character", key);
		n->bad = true;
		return false;
	}
	return true;
}

/*
 * A field that takes a value or a list of values. Items are checked here;
 * when `emit` they also go to the canonical text (one placeholder per bad
 * item keeps indices aligned with the source). Set elements are not
 * emitted: they can be 100,000s, and policy_check reads them straight from
 * the tree, with their positions, instead of through libcyaml (which grows
 * a list one realloc per entry and would parse them a second time).
 */
static void walk_list(struct walk *w, struct ynode *n, const char *key, bool empty_ok, bool emit)
{
	if (n->kind == YN_MAP) {
		diag_err(w->d, loc(w, n), "'%s' must be a value or a list of values, not a mapping",
			 key);
		n->bad = true;
		return;
	}
	if (n->kind == YN_SCALAR && n->null) {
		if (empty_ok)
			return;
		if (!n->bad)
			diag_err(w->d, loc(w, n),
				 "'%s' has no value; leave the key out to match anything", key);
		n->bad = true;
		return;
	}
	if (emit) {
		emit_str(w, key);
		emit_seq_start(w);
	}
	if (n->kind == YN_SCALAR) {
		bool ok = good_scalar(w, n, key);
		if (emit)
			emit_scalar(w, ok ? n->val : "", ok ? n->len : 0);
	} else {
		if (n->n == 0 && !empty_ok) {
			diag_err(w->d, loc(w, n), "'%s' is an empty list; leave the key out to match anything",
				 key);
			n->bad = true;
		}
		for (uint32_t i = 0; i < n->n; i++) {
			struct ynode *it = &n->kids[i];
			if (it->kind != YN_SCALAR && !it->bad) {
				diag_err(w->d, loc(w, it), "each item of '%s' must be a single value, not %s",
					 key, kind_name(it));
				it->bad = true;
			} else if (it->kind == YN_SCALAR && !it->bad && it->null) {
				diag_err(w->d, loc(w, it), "empty item in '%s'", key);
				it->bad = true;
			} else if (it->kind == YN_SCALAR && !it->bad && strlen(it->val) != it->len) {
				diag_err(w->d, loc(w, it), "an item of '%s' contains a NUL character", key);
				it->bad = true;
			}
			if (!emit)
				continue;
			if (it->bad)
				emit_scalar(w, "", 0);
			else
				emit_scalar(w, it->val, it->len);
		}
	}
	if (emit)
		emit_seq_end(w);
}

static void walk_fields(struct walk *w, struct ynode *map, const struct field *fields,
			const char *what, const char *name);

static int cmp_key_node(const void *a, const void *b)
{
	const struct ynode *x = *(struct ynode *const *)a, *y = *(struct ynode *const *)b;
	int c = strcmp(x->val, y->val);

	if (c)
		return c;
	return x < y ? -1 : x > y; /* document order */
}

/* Duplicate set names, found by sorting (not pairwise: there may be many). */
static void mark_duplicate_sets(struct walk *w, struct ynode *n, const char *what)
{
	_cleanup_free_ struct ynode **v = xcalloc(n->n, sizeof(*v));
	size_t m = 0, first = 0;

	for (uint32_t i = 0; i < n->n; i++)
		if (n->kids[2 * i].kind == YN_SCALAR && !n->kids[2 * i].bad)
			v[m++] = &n->kids[2 * i];
	qsort(v, m, sizeof(*v), cmp_key_node);
	for (size_t i = 1; i < m; i++) {
		if (!streq(v[i]->val, v[first]->val)) {
			first = i;
			continue;
		}
		diag_err(w->d, loc(w, v[i]), "duplicate %s '%s' (first defined at line %u)", what,
			 v[i]->val, v[first]->line);
		v[i]->bad = true;
	}
}

static void walk_sets(struct walk *w, struct ynode *n, const struct field *sub)
{
	if (n->kind == YN_SCALAR && n->null)
		return;
	if (n->kind != YN_MAP) {
		diag_err(w->d, loc(w, n), "'sets' must be a mapping of set names to sets, not %s",
			 kind_name(n));
		n->bad = true;
		return;
	}
	mark_duplicate_sets(w, n, "set");
	emit_str(w, "sets");
	emit_seq_start(w);
	for (uint32_t i = 0; i < n->n; i++) {
		struct ynode *k = &n->kids[2 * i], *v = &n->kids[2 * i + 1];
		/* aliases (bad) hold ""; duplicates (bad) keep their name */
		const char *name = k->kind == YN_SCALAR ? k->val : "";
		_cleanup_free_ char *what = xasprintf("set '%s'", name);

		if (v->kind != YN_MAP) {
			if (!v->bad)
				diag_err(w->d, loc(w, v->null ? k : v),
					 "%s must be a mapping with 'type' and 'elements' or 'file'", what);
			v->bad = true;
			emit_map_start(w);
			emit_str(w, "name");
			emit_str(w, name);
			emit_map_end(w);
			continue;
		}
		walk_fields(w, v, sub, what, name);
	}
	emit_seq_end(w);
}

/* zones: {NAME: [ifname, ...]} -> [{name: NAME, interfaces: [...]}] */
static void walk_zones(struct walk *w, struct ynode *n)
{
	if (n->kind == YN_SCALAR && n->null)
		return;
	if (n->kind != YN_MAP) {
		diag_err(w->d, loc(w, n),
			 "'zones' must be a mapping of zone names to lists of interfaces, not %s",
			 kind_name(n));
		n->bad = true;
		return;
	}
	mark_duplicate_sets(w, n, "zone");
	emit_str(w, "zones");
	emit_seq_start(w);
	for (uint32_t i = 0; i < n->n; i++) {
		struct ynode *k = &n->kids[2 * i], *v = &n->kids[2 * i + 1];
		const char *name = k->kind == YN_SCALAR ? k->val : "";
		_cleanup_free_ char *what = xasprintf("zone '%s'", name);

		emit_map_start(w);
		emit_str(w, "name");
		emit_str(w, name);
		if ((v->kind == YN_SCALAR && v->null) || (v->kind == YN_SEQ && v->n == 0)) {
			if (!v->bad)
				diag_err(w->d, loc(w, v->null ? k : v),
					 "%s has no interfaces: list them (eth1, wg0, veth*)", what);
			v->bad = true;
		} else {
			walk_list(w, v, name, false, false);
		}
		emit_str(w, "interfaces");
		emit_seq_start(w);
		if (v->kind == YN_SCALAR && !v->null)
			emit_scalar(w, v->bad ? "" : v->val, v->bad ? 0 : v->len);
		for (uint32_t j = 0; v->kind == YN_SEQ && j < v->n; j++) {
			struct ynode *it = &v->kids[j];
			bool ok = it->kind == YN_SCALAR && !it->bad;
			emit_scalar(w, ok ? it->val : "", ok ? it->len : 0);
		}
		emit_seq_end(w);
		emit_map_end(w);
	}
	emit_seq_end(w);
}

static void walk_rules(struct walk *w, struct ynode *n, const char *key, const struct field *sub)
{
	bool nat = streq(key, "nat");

	if (n->kind == YN_SCALAR && n->null)
		return;
	if (n->kind != YN_SEQ) {
		diag_err(w->d, loc(w, n), "'%s' must be a list of %s, not %s", key,
			 nat ? "nat entries" : "rules", kind_name(n));
		n->bad = true;
		return;
	}
	emit_str(w, key);
	emit_seq_start(w);
	for (uint32_t i = 0; i < n->n; i++) {
		struct ynode *r = &n->kids[i];
		if (r->kind != YN_MAP) {
			if (!r->bad)
				diag_err(w->d, loc(w, r), "each %s must be a mapping, not %s",
					 nat ? "nat entry" : "rule", kind_name(r));
			r->bad = true;
			emit_map_start(w);
			emit_map_end(w);
			continue;
		}
		walk_fields(w, r, sub, nat ? "nat entry" : "rule", NULL);
	}
	emit_seq_end(w);
}

static void walk_fields(struct walk *w, struct ynode *map, const struct field *fields,
			const char *what, const char *name)
{
	emit_map_start(w);
	if (name) {
		emit_str(w, "name");
		emit_str(w, name);
	}
	/* keys: scalars, known, unique */
	for (uint32_t i = 0; i < map->n; i++) {
		struct ynode *k = &map->kids[2 * i];
		const struct field *f;

		if (k->kind != YN_SCALAR || k->null) {
			diag_err(w->d, loc(w, k), "keys in %s must be plain names", what);
			k->bad = true;
			continue;
		}
		for (f = fields; f->key; f++)
			if (streq(f->key, k->val))
				break;
		if (!f->key) {
			unknown_key(w, k, fields, what);
			k->bad = true;
			continue;
		}
		for (uint32_t j = 0; j < i; j++) {
			struct ynode *o = &map->kids[2 * j];
			if (o->kind == YN_SCALAR && !o->bad && streq(o->val, k->val)) {
				diag_err(w->d, loc(w, k), "duplicate key '%s' in %s (first at line %u)",
					 k->val, what, o->line);
				k->bad = true;
				break;
			}
		}
	}
	/* values, in schema order */
	for (const struct field *f = fields; f->key; f++) {
		struct ynode *k = NULL, *v;

		for (uint32_t i = 0; i < map->n && !k; i++)
			if (!map->kids[2 * i].bad && map->kids[2 * i].kind == YN_SCALAR &&
			    streq(map->kids[2 * i].val, f->key))
				k = &map->kids[2 * i];
		if (!k) {
			if (f->required)
				diag_err(w->d, loc(w, map), "%s is missing required key '%s'", what, f->key);
			continue;
		}
		v = k + 1;
		switch (f->shape) {
		case SH_SCALAR:
			if (good_scalar(w, v, f->key)) {
				emit_str(w, f->key);
				emit_scalar(w, v->val, v->len);
			}
			break;
		case SH_LIST:
		case SH_ELEMS:
			walk_list(w, v, f->key, f->shape == SH_ELEMS, f->shape == SH_LIST);
			break;
		case SH_MAP:
			if (v->kind == YN_SCALAR && v->null)
				break;
			if (v->kind != YN_MAP) {
				diag_err(w->d, loc(w, v), "'%s' must be a mapping, not %s", f->key,
					 kind_name(v));
				v->bad = true;
				break;
			}
			emit_str(w, f->key);
			walk_fields(w, v, f->sub, f->key, NULL);
			break;
		case SH_ORMAP:
			if (v->kind == YN_MAP) {
				bool mute = w->mute;
				w->mute = true;
				walk_fields(w, v, f->sub, f->key, NULL);
				w->mute = mute;
			} else if (good_scalar(w, v, f->key)) {
				emit_str(w, f->key);
				emit_scalar(w, v->val, v->len);
			}
			break;
		case SH_SETS:
			walk_sets(w, v, f->sub);
			break;
		case SH_RULES:
			walk_rules(w, v, f->key, f->sub);
			break;
		case SH_ZONES:
			walk_zones(w, v);
			break;
		}
	}
	emit_map_end(w);
}

int policy_yaml_parse(const char *file, const char *buf, size_t len, struct ydoc *doc,
		      struct diags *d)
{
	struct walk w = { .file = file, .d = d };
	yaml_event_t ev;
	int ret;

	doc->file = file;
	ret = yaml_tree_build(file, buf, len, &doc->root, d);
	if (ret < 0)
		return ret;

	if (doc->root.kind != YN_MAP) {
		if (doc->root.null)
			diag_err(d, loc(&w, &doc->root), "the policy is empty");
		else
			diag_err(d, loc(&w, &doc->root),
				 "the policy must be a mapping of keys (version, sets, rules, ...), not %s",
				 kind_name(&doc->root));
		return -EINVAL;
	}

	if (!yaml_emitter_initialize(&w.em))
		return -ENOMEM;
	yaml_emitter_set_output(&w.em, write_handler, &w.out);
	yaml_emitter_set_unicode(&w.em, 1);
	yaml_emitter_set_width(&w.em, -1);
	yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
	emit(&w, &ev);
	yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
	emit(&w, &ev);
	walk_fields(&w, &doc->root, top_fields, "the policy", NULL);
	yaml_document_end_event_initialize(&ev, 1);
	emit(&w, &ev);
	yaml_stream_end_event_initialize(&ev);
	emit(&w, &ev);
	yaml_emitter_delete(&w.em);
	if (w.em_failed) {
		sb_free(&w.out);
		diag_err(d, loc(&w, &doc->root), "internal error: could not re-emit the policy");
		return -EINVAL;
	}
	doc->canon_len = w.out.len;
	doc->canon = sb_take(&w.out);
	return 0;
}
