// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * IR -> nft text. The text is a complete `nft -f` script that performs the
 * same atomic replacement as `vigild apply` (add table, delete table, add
 * table with everything), object for object, in the same order, so feeding
 * it to nft gives the same kernel state.
 */
#include <netinet/in.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>
#include <stdio.h>
#include <string.h>

#include "vigil/names.h"
#include "vigil/render.h"

static void put_elem(struct strbuf *sb, enum ir_key k, const struct ival *iv)
{
	char buf[128];

	switch (k) {
	case K_IP_SADDR:
	case K_IP_DADDR:
		ival_format_addr(AF_V4, iv, buf, sizeof(buf));
		sb_puts(sb, buf);
		break;
	case K_IP6_SADDR:
	case K_IP6_DADDR:
		ival_format_addr(AF_V6, iv, buf, sizeof(buf));
		sb_puts(sb, buf);
		break;
	case K_SPORT:
	case K_DPORT:
		if (iv->lo == iv->hi)
			sb_printf(sb, "%u", (unsigned)iv->lo);
		else
			sb_printf(sb, "%u-%u", (unsigned)iv->lo, (unsigned)iv->hi);
		break;
	case K_L4PROTO: {
		const char *n = l4proto_name((unsigned)iv->lo);
		if (iv->lo != iv->hi)
			sb_printf(sb, "%u-%u", (unsigned)iv->lo, (unsigned)iv->hi);
		else if (n)
			sb_puts(sb, n);
		else
			sb_printf(sb, "%u", (unsigned)iv->lo);
		break;
	}
	case K_ICMP_TYPE:
	case K_ICMPV6_TYPE: {
		const char *n = icmp_type_name(k == K_ICMPV6_TYPE, (unsigned)iv->lo);
		if (n)
			sb_puts(sb, n);
		else
			sb_printf(sb, "%u", (unsigned)iv->lo);
		break;
	}
	case K_IIFNAME:
	case K_OIFNAME: {
		char name[17];
		if (ir_ifname_wildcard(iv, name))
			sb_printf(sb, "\"%s*\"", name);
		else
			sb_printf(sb, "\"%s\"", name);
		break;
	}
	case K_NFPROTO:
		sb_puts(sb, iv->lo == NFPROTO_IPV4 ? "ipv4" : "ipv6");
		break;
	default:
		sb_printf(sb, "%u", (unsigned)iv->lo);
		break;
	}
}

static void put_elems(struct strbuf *sb, const struct ir_set *s, const char *indent)
{
	sb_puts(sb, "{ ");
	for (size_t i = 0; i < s->elems.n; i++) {
		if (i) {
			sb_puts(sb, ",");
			if (i % 8 == 0 && indent)
				sb_printf(sb, "\n%s", indent);
			else
				sb_puts(sb, " ");
		}
		put_elem(sb, s->key, &s->elems.v[i]);
	}
	sb_puts(sb, " }");
}

/* Element i of a verdict map: "10.0.0.1 . 80 : goto rule.x" */
static void put_celem(struct strbuf *sb, const struct ir_table *t, const struct ir_set *s, size_t i)
{
	const struct ir_celem *e = &s->celems[i];

	for (int k = 0; k < s->nfields; k++) {
		if (k)
			sb_puts(sb, " . ");
		put_elem(sb, s->fields[k].key, &e->f[k]);
	}
	if (s->vmap)
		sb_printf(sb, " : %s %s", s->jump ? "jump" : "goto", t->chains[e->chain].name);
}

/* A port-forward map (natmap.c): "1024 : 10.211.0.2 . 1024" */
static void put_natmap(struct strbuf *sb, const struct ir_set *s)
{
	const char *at = s->nat_fam == AF_V4 ? "ipv4_addr" : "ipv6_addr";
	enum ir_key ak = s->nat_fam == AF_V4 ? K_IP_DADDR : K_IP6_DADDR;

	sb_printf(sb, "\tmap %s {\n\t\ttype inet_service : %s . inet_service\n", s->name, at);
	if (s->nnelems) {
		sb_puts(sb, "\t\telements = { ");
		for (size_t i = 0; i < s->nnelems; i++) {
			const struct ir_natelem *e = &s->nelems[i];
			struct ival a = { e->addr, e->addr };
			if (i)
				sb_puts(sb, ",\n\t\t\t     ");
			sb_printf(sb, "%u : ", e->port);
			put_elem(sb, ak, &a);
			sb_printf(sb, " . %u", e->to_port);
		}
		sb_puts(sb, " }\n");
	}
	sb_puts(sb, "\t}\n\n");
}

static void put_map(struct strbuf *sb, const struct ir_table *t, const struct ir_set *s)
{
	/* a verdict map, or a set of concatenations (natmap.c's dnatfwd) */
	sb_printf(sb, "\t%s %s {\n\t\ttype ", s->vmap ? "map" : "set", s->name);
	for (int k = 0; k < s->nfields; k++)
		sb_printf(sb, "%s%s", k ? " . " : "", ir_keyinfo(s->fields[k].key)->nft_type);
	sb_puts(sb, s->vmap ? " : verdict\n" : "\n");
	if (s->interval)
		sb_puts(sb, "\t\tflags interval\n");
	if (s->ncelems) {
		sb_puts(sb, "\t\telements = { ");
		for (size_t i = 0; i < s->ncelems; i++) {
			if (i)
				sb_puts(sb, ",\n\t\t\t     ");
			put_celem(sb, t, s, i);
		}
		sb_puts(sb, " }\n");
	}
	sb_puts(sb, "\t}\n\n");
}

static const char *key_expr(const struct ir_match *m);

static const char *key_expr(const struct ir_match *m)
{
	switch (m->key) {
	case K_NFPROTO:
		return "meta nfproto";
	case K_IIFNAME:
		return "iifname";
	case K_OIFNAME:
		return "oifname";
	case K_IP_SADDR:
		return "ip saddr";
	case K_IP_DADDR:
		return "ip daddr";
	case K_IP6_SADDR:
		return "ip6 saddr";
	case K_IP6_DADDR:
		return "ip6 daddr";
	case K_L4PROTO:
		return "meta l4proto";
	case K_ICMP_TYPE:
		return "icmp type";
	case K_ICMPV6_TYPE:
		return "icmpv6 type";
	case K_CT_STATE:
		return "ct state";
	case K_CT_STATUS:
		return "ct status";
	default:
		return "?";
	}
}

static const char *field_expr(enum ir_key k, uint8_t l4, char *buf, size_t len)
{
	struct ir_match m = { .key = k, .l4 = l4 };

	if (k == K_SPORT || k == K_DPORT) {
		snprintf(buf, len, "%s %s", l4 ? l4proto_name(l4) : "th", k == K_SPORT ? "sport" : "dport");
		return buf;
	}
	return key_expr(&m);
}

static void put_match(struct strbuf *sb, const struct ir_match *m)
{
	if (m->op == OP_VMAP || (m->op == OP_SET && m->set->nfields > 1)) {
		char b[32];
		for (int k = 0; k < m->set->nfields; k++)
			sb_printf(sb, "%s%s", k ? " . " : "",
				  field_expr(m->set->fields[k].key, m->set->fields[k].l4, b, sizeof(b)));
		sb_printf(sb, m->op == OP_VMAP ? " vmap @%s" : " @%s", m->set->name);
		return;
	}
	if (m->key == K_SPORT || m->key == K_DPORT) {
		const char *p = m->l4 ? l4proto_name(m->l4) : "th";
		sb_printf(sb, "%s %s ", p, m->key == K_SPORT ? "sport" : "dport");
	} else {
		sb_printf(sb, "%s ", key_expr(m));
	}

	switch (m->op) {
	case OP_MASK: {
		if (m->key == K_CT_STATUS) {
			render_ct_status(sb, (uint32_t)m->v.lo);
			break;
		}
		static const struct {
			uint32_t bit;
			const char *name;
		} st[] = {
			{ NF_CT_STATE_INVALID_BIT, "invalid" },
			{ NF_CT_STATE_BIT(IP_CT_ESTABLISHED), "established" },
			{ NF_CT_STATE_BIT(IP_CT_RELATED), "related" },
			{ NF_CT_STATE_BIT(IP_CT_NEW), "new" },
			{ NF_CT_STATE_UNTRACKED_BIT, "untracked" },
		};
		bool first = true;
		for (size_t i = 0; i < ARRAY_SIZE(st); i++)
			if ((uint32_t)m->v.lo & st[i].bit) {
				sb_printf(sb, "%s%s", first ? "" : ",", st[i].name);
				first = false;
			}
		break;
	}
	case OP_SET:
		if (m->set->anonymous)
			put_elems(sb, m->set, NULL);
		else
			sb_printf(sb, "@%s", m->set->name);
		break;
	case OP_EQ:
		if (m->key == K_IIFNAME || m->key == K_OIFNAME) {
			size_t n = strnlen(m->ifname, sizeof(m->ifname));
			bool wild = m->iflen == n;
			sb_printf(sb, "\"%.*s%s\"", (int)n, m->ifname, wild ? "*" : "");
			break;
		}
		/* fall through */
	default:
		put_elem(sb, m->key, &m->v);
		break;
	}
}

static void put_verdict(struct strbuf *sb, const struct ir_rule *r)
{
	switch (r->verdict) {
	case IV_NONE:
		break;
	case IV_ACCEPT:
		sb_puts(sb, " accept");
		break;
	case IV_DROP:
		sb_puts(sb, " drop");
		break;
	case IV_REJECT:
		if (r->reject_type == NFT_REJECT_TCP_RST)
			sb_puts(sb, " reject with tcp reset");
		else if (r->reject_type == NFT_REJECT_ICMPX_UNREACH)
			sb_puts(sb, " reject with icmpx port-unreachable");
		else if (r->reject_code == 3)
			sb_puts(sb, " reject with icmp port-unreachable");
		else
			sb_puts(sb, " reject with icmpv6 port-unreachable");
		break;
	}
}

void render_rule(struct strbuf *sb, const struct ir_rule *r)
{
	if (r->nm == 1 && r->m[0].op == OP_VMAP) {
		struct ir_match g;
		/* the dispatch rule of a merged run: count what reaches the lookup */
		sb_puts(sb, "counter ");
		if (ir_vmap_guard(&r->m[0], &g)) {
			put_match(sb, &g);
			sb_puts(sb, " ");
		}
		put_match(sb, &r->m[0]);
		if (r->comment)
			sb_printf(sb, " comment \"%s\"", r->comment);
		return;
	}
	for (size_t i = 0; i < r->nm; i++) {
		put_match(sb, &r->m[i]);
		sb_puts(sb, " ");
	}
	render_limit(sb, &r->lim);
	if (r->set_mark)
		sb_printf(sb, "ct mark set ct mark and 0x%08x or 0x%08x ", r->mark_and, r->mark_xor);
	if (r->log && r->log_rate)
		sb_printf(sb, "limit rate %u/%s burst %u packets ", r->log_rate,
			  r->log_unit == 86400 ? "day" :
			  r->log_unit == 3600 ? "hour" :
			  r->log_unit == 60 ? "minute" : "second", r->log_burst ? r->log_burst : LOG_BURST);
	sb_puts(sb, "counter");
	if (r->log && r->log_group)
		sb_printf(sb, " log prefix \"%s\" group %u", r->log_prefix, r->log_group);
	else if (r->log)
		sb_printf(sb, " log prefix \"%s\"", r->log_prefix);
	render_nat(sb, &r->nat);
	put_verdict(sb, r);
	if (r->comment)
		sb_printf(sb, " comment \"%s\"", r->comment);
}

static void put_set(struct strbuf *sb, const struct ir_set *s)
{
	const struct ir_keyinfo *ki = ir_keyinfo(s->key);

	sb_printf(sb, "\tset %s {\n\t\ttype %s\n", s->name, ki->nft_type);
	if (s->size)
		sb_printf(sb, "\t\tsize %u\n", s->size);
	if (s->interval || s->kfill || s->timeout_ms)
		sb_printf(sb, "\t\tflags %s%s%s%s%s\n", s->interval ? "interval" : "",
			  s->interval && (s->kfill || s->timeout_ms) ? "," : "",
			  s->kfill ? "dynamic" : "", s->kfill && s->timeout_ms ? "," : "",
			  s->timeout_ms ? "timeout" : "");
	if (s->timeout_ms)
		sb_printf(sb, "\t\ttimeout %llus\n", (unsigned long long)(s->timeout_ms / 1000));
	if (s->dynamic)
		sb_puts(sb, "\t\tcomment \"" IR_DYNSET_MARK "\"\n");
	if (s->elems.n) {
		sb_puts(sb, "\t\telements = ");
		put_elems(sb, s, "\t\t\t     ");
		sb_puts(sb, "\n");
	}
	sb_puts(sb, "\t}\n\n");
}

static const char *hook_name(enum chain_id c)
{
	return chain_name(c);
}

/* A file name may hold any byte but NUL: a newline in it must not end the
 * comment line, or what follows would be read by nft as commands. */
static void put_path_comment(struct strbuf *sb, const char *path)
{
	sb_puts(sb, "# vigild: compiled from ");
	for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
		if (*p < 0x20 || *p == 0x7f || *p == '\\')
			sb_printf(sb, "\\x%02x", *p);
		else
			sb_putn(sb, (const char *)p, 1);
	}
	sb_puts(sb, "\n");
}

void render_table(struct strbuf *sb, const struct ir_table *t, const struct policy *pol)
{
	if (pol)
		put_path_comment(sb, pol->file);
	sb_printf(sb, "table inet %s\ndelete table inet %s\ntable inet %s {\n\tcomment \"%s\"\n\n",
		  t->name, t->name, t->name, IR_TABLE_MARK);
	for (size_t i = 0; i < t->nsets; i++) {
		if (t->sets[i]->natmap)
			put_natmap(sb, t->sets[i]);
		else if (t->sets[i]->vmap || t->sets[i]->nfields > 1)
			put_map(sb, t, t->sets[i]);
		else
			put_set(sb, t->sets[i]);
	}
	for (size_t c = 0; c < t->nchains; c++) {
		const struct ir_chain *ch = &t->chains[c];
		int last = -2;

		if (c)
			sb_puts(sb, "\n");
		if (ch->nat)
			sb_printf(sb, "\tchain %s {\n\t\ttype nat hook %s priority %s; policy accept;\n",
				  ch->name, ch->name, ch->nat == IR_NAT_HOOK_PRE ? "dstnat" : "srcnat");
		else if (ch->base)
			sb_printf(sb, "\tchain %s {\n\t\ttype filter hook %s priority filter; policy %s;\n",
				  ch->name, hook_name(ch->hook), verdict_name(ch->policy));
		else
			sb_printf(sb, "\tchain %s {\n", ch->name);
		for (size_t i = 0; i < ch->n; i++) {
			const struct ir_rule *r = &ch->rules[i];
			if (pol && r->origin >= 0 && r->origin != last) {
				const struct prule *pr = &pol->rules[r->origin];
				if (pr->comment)
					sb_printf(sb, "\t\t# %s: %s\n", pr->name, pr->comment);
			}
			last = r->origin;
			sb_puts(sb, "\t\t");
			render_rule(sb, r);
			sb_puts(sb, "\n");
		}
		sb_puts(sb, "\t}\n");
	}
	sb_puts(sb, "}\n");
}
