// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A packet description (pktdesc.h) to an ir_pkt, with every error at its
 * token: the text is split into words (and "->" wherever it stands), each
 * word keeps its column.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "vigil/ival.h"
#include "vigil/names.h"
#include "vigil/pktdesc.h"

#define PKTDESC_MAX_TOKENS 32

struct tok {
	const char *s;    /* not NUL-terminated */
	unsigned len, col;
};

struct lexed {
	struct tok t[PKTDESC_MAX_TOKENS];
	unsigned n;
	unsigned end;     /* column just past the text, for "missing" errors */
};

static int fail(struct pktdesc_err *e, unsigned col, unsigned len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(struct pktdesc_err *e, unsigned col, unsigned len, const char *fmt, ...)
{
	va_list ap;

	e->col = col;
	e->len = len ? len : 1;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static bool tok_is(const struct tok *t, const char *w)
{
	return t->len == strlen(w) && memcmp(t->s, w, t->len) == 0;
}

/* "->", or "to" (no quoting needed in a shell) */
static bool is_arrow(const struct tok *t)
{
	return tok_is(t, "->") || tok_is(t, "to");
}

static bool is_keyword(const struct tok *t)
{
	return tok_is(t, "iif") || tok_is(t, "oif") || tok_is(t, "type") || tok_is(t, "code") ||
	       tok_is(t, "ct") || tok_is(t, "status");
}

/* Copies a token (or part of it) into buf as a C string; false when too long. */
static bool tok_str(const char *s, size_t len, char *buf, size_t size)
{
	if (len >= size)
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return true;
}

static int lex(const char *text, struct lexed *L, struct pktdesc_err *e)
{
	const char *p = text;

	L->n = 0;
	while (*p) {
		const char *arrow;
		size_t len;

		if (*p == ' ' || *p == '\t' || *p == '\n') {
			p++;
			continue;
		}
		len = strcspn(p, " \t\n");
		arrow = memmem(p, len, "->", 2);
		if (arrow == p)
			len = 2;
		else if (arrow)
			len = (size_t)(arrow - p);
		if (L->n == PKTDESC_MAX_TOKENS)
			return fail(e, (unsigned)(p - text) + 1, (unsigned)len,
				    "too many words (at most %d)", PKTDESC_MAX_TOKENS);
		L->t[L->n].s = p;
		L->t[L->n].len = (unsigned)len;
		L->t[L->n].col = (unsigned)(p - text) + 1;
		L->n++;
		p += len;
	}
	L->end = (unsigned)(p - text) + 1;
	return 0;
}

static int parse_proto(const struct tok *t, struct pktdesc *d, struct pktdesc_err *e)
{
	static const struct {
		const char *w;
		uint8_t proto;
	} protos[] = {
		{ "tcp", IPPROTO_TCP },   { "udp", IPPROTO_UDP },	   { "sctp", IPPROTO_SCTP },
		{ "icmp", IPPROTO_ICMP }, { "icmpv6", IPPROTO_ICMPV6 }, { "ipv6-icmp", IPPROTO_ICMPV6 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(protos); i++)
		if (tok_is(t, protos[i].w)) {
			d->p.l4proto = protos[i].proto;
			return 0;
		}
	return fail(e, t->col, t->len,
		    "'%.*s' is not a protocol: the description starts with tcp, udp, sctp, icmp or icmpv6",
		    (int)t->len, t->s);
}

static bool has_ports(uint8_t proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP || proto == IPPROTO_SCTP;
}

static int parse_port(const char *s, size_t len, unsigned col, uint16_t *port,
		      struct pktdesc_err *e)
{
	char buf[8];
	unsigned long v;

	if (!len)
		return fail(e, col, 1, "a port number is missing after ':'");
	if (!tok_str(s, len, buf, sizeof(buf)) || num_parse(buf, 65535, &v) < 0)
		return fail(e, col, (unsigned)len, "'%.*s' is not a port (0 to 65535)", (int)len, s);
	*port = (uint16_t)v;
	return 0;
}

/* ADDR, ADDR:PORT (IPv4), [ADDR]:PORT or a bare IPv6 ADDR. *port: -1 absent. */
static int parse_endpoint(const struct tok *t, int *family, u128 *addr, int *port,
			  struct pktdesc_err *e)
{
	const char *s = t->s, *a = s, *colon = NULL;
	size_t alen = t->len, ncolons = 0;
	char buf[64];
	enum addr_family fam;
	struct ival iv;
	const char *why;

	*port = -1;
	for (size_t i = 0; i < t->len; i++)
		ncolons += s[i] == ':';
	if (s[0] == '[') {
		const char *close = memchr(s, ']', t->len);
		if (!close)
			return fail(e, t->col, t->len, "'[' without ']': write an IPv6 address with a port as [2001:db8::1]:22");
		a = s + 1;
		alen = (size_t)(close - a);
		if (close + 1 < s + t->len) {
			if (close[1] != ':')
				return fail(e, t->col + (unsigned)(close + 1 - s), 1,
					    "expected ':' and a port after ']'");
			colon = close + 1;
		}
	} else if (ncolons == 1) {
		colon = memchr(s, ':', t->len);
		alen = (size_t)(colon - s);
	}
	if (!tok_str(a, alen, buf, sizeof(buf)) || addr_parse(buf, &fam, &iv, &why) < 0)
		return fail(e, t->col + (unsigned)(a - s), (unsigned)alen,
			    "'%.*s' is not an address%s%s", (int)alen, a, alen < sizeof(buf) ? ": " : "",
			    alen < sizeof(buf) ? why : "");
	if (iv.lo != iv.hi || strchr(buf, '/'))
		return fail(e, t->col + (unsigned)(a - s), (unsigned)alen,
			    "'%s' is a network or a range: a packet has one address", buf);
	if (s[0] == '[' && fam != AF_V6)
		return fail(e, t->col, t->len, "brackets are for IPv6 addresses: write %s:PORT", buf);
	*family = fam;
	*addr = iv.lo;
	if (colon) {
		uint16_t v = 0;
		size_t plen = (size_t)(s + t->len - colon - 1);
		int r = parse_port(colon + 1, plen, t->col + (unsigned)(colon + 1 - s), &v, e);
		if (r < 0)
			return r;
		*port = v;
	}
	return 0;
}

static int parse_state(const struct tok *t, struct pktdesc *d, struct pktdesc_err *e)
{
	static const char *const names[] = {
		[IR_CT_NEW] = "new", [IR_CT_ESTABLISHED] = "established", [IR_CT_RELATED] = "related",
		[IR_CT_INVALID] = "invalid", [IR_CT_UNTRACKED] = "untracked",
	};

	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (tok_is(t, names[i])) {
			d->p.ct = (enum ir_ct_state)i;
			return 0;
		}
	return fail(e, t->col, t->len,
		    "'%.*s' is not a conntrack state: new, established, related, invalid or untracked",
		    (int)t->len, t->s);
}

static int parse_ifname(const struct tok *t, char *out, struct pktdesc_err *e)
{
	if (t->len > 15)
		return fail(e, t->col, t->len, "an interface name has at most 15 characters");
	if (memchr(t->s, '*', t->len) || memchr(t->s, '/', t->len))
		return fail(e, t->col, t->len, "'%.*s' is not an interface name ('*' and '/' cannot be in one)",
			    (int)t->len, t->s);
	memcpy(out, t->s, t->len);
	out[t->len] = '\0';
	return 0;
}

struct seen {
	const struct tok *type, *code, *status;
	bool iif, oif, ct;
};

/* One `KEYWORD VALUE` pair at L->t[*i]; *i moves past it. */
static int parse_option(const struct lexed *L, unsigned *i, struct pktdesc *d, struct seen *sn,
			struct pktdesc_err *e)
{
	const struct tok *k = &L->t[*i], *v = *i + 1 < L->n ? &L->t[*i + 1] : NULL;
	bool *once = tok_is(k, "iif") ? &sn->iif : tok_is(k, "oif") ? &sn->oif :
		     tok_is(k, "ct") ? &sn->ct : NULL;

	if (!is_keyword(k))
		return fail(e, k->col, k->len,
			    "unexpected '%.*s': after the addresses come iif NAME, oif NAME, type TYPE, code N, ct STATE or status dnat",
			    (int)k->len, k->s);
	if (!v || tok_is(v, "->"))
		return fail(e, v ? v->col : L->end, v ? v->len : 1, "'%.*s' wants a value",
			    (int)k->len, k->s);
	if ((once && *once) || (tok_is(k, "type") && sn->type) || (tok_is(k, "code") && sn->code) ||
	    (tok_is(k, "status") && sn->status))
		return fail(e, k->col, k->len, "'%.*s' is given twice", (int)k->len, k->s);
	*i += 2;
	if (once)
		*once = true;
	if (tok_is(k, "iif")) {
		d->has_iif = true;
		return parse_ifname(v, d->p.iif, e);
	}
	if (tok_is(k, "oif")) {
		d->has_oif = true;
		return parse_ifname(v, d->p.oif, e);
	}
	if (tok_is(k, "ct"))
		return parse_state(v, d, e);
	if (tok_is(k, "status")) {
		/* the one conntrack status bit a vigild rule looks at */
		if (!tok_is(v, "dnat"))
			return fail(e, v->col, v->len,
				    "'%.*s' is not a conntrack status vigild looks at: status dnat (the destination was translated)",
				    (int)v->len, v->s);
		sn->status = k;
		d->p.dnat = true;
		return 0;
	}
	if (tok_is(k, "type"))
		sn->type = v;
	else
		sn->code = v;
	return 0;
}

static int bad_icmp_type(struct pktdesc_err *e, const struct tok *t, bool v6)
{
	struct strbuf sb = { 0 };
	struct suggest sg;
	char typed[64];
	int r;

	tok_str(t->s, t->len < sizeof(typed) ? t->len : sizeof(typed) - 1, typed, sizeof(typed));
	suggest_init(&sg, typed);
	for (const struct icmp_name *n = v6 ? icmp6_names : icmp4_names; n->name; n++)
		suggest_try(&sg, n->name);
	suggest_format(&sg, "", &sb);
	r = fail(e, t->col, t->len, "'%.*s' is not an %s type (a name as nft spells it, or 0 to 255)%s",
		 (int)t->len, t->s, v6 ? "ICMPv6" : "ICMP", sb.s ? sb.s : "");
	sb_free(&sb);
	return r;
}

/* type and code, once the family is known. */
static int parse_icmp(const struct seen *sn, const struct lexed *L, struct pktdesc *d,
		      struct pktdesc_err *e)
{
	bool v6 = d->p.l4proto == IPPROTO_ICMPV6;
	char buf[32];
	unsigned long code;
	int type = v6 ? 128 : 8; /* echo request */

	if (d->p.l4proto != IPPROTO_ICMP && d->p.l4proto != IPPROTO_ICMPV6) {
		const struct tok *t = sn->type ? sn->type : sn->code;
		if (t)
			return fail(e, t->col, t->len,
				    "type and code are for icmp and icmpv6, not %s", l4proto_name(d->p.l4proto));
		return 0;
	}
	if (sn->type) {
		const struct tok *t = sn->type;
		type = tok_str(t->s, t->len, buf, sizeof(buf)) ? icmp_type_lookup(v6, buf) : -1;
		if (type < 0)
			return bad_icmp_type(e, t, v6);
	}
	d->p.icmp_type = (uint8_t)type;
	if (sn->code) {
		const struct tok *t = sn->code;
		if (!tok_str(t->s, t->len, buf, sizeof(buf)) || num_parse(buf, 255, &code) < 0)
			return fail(e, t->col, t->len, "'%.*s' is not an ICMP code (0 to 255)",
				    (int)t->len, t->s);
		d->p.icmp_code = (uint8_t)code;
	}
	(void)L;
	return 0;
}

/* SOURCE -> DESTINATION at L->t[*i]; *i moves past them. */
static int parse_flow(const struct lexed *L, unsigned *i, struct pktdesc *d, struct pktdesc_err *e)
{
	const struct tok *src, *arrow, *dst;
	int sfam, dfam, sport, dport, r;

	if (*i + 2 >= L->n || !is_arrow(&L->t[*i + 1])) {
		const struct tok *t = *i + 1 < L->n ? &L->t[*i + 1] : NULL;
		if (*i >= L->n)
			return fail(e, L->end, 1, "the source address is missing (PROTO SOURCE -> DESTINATION)");
		if (!t || !is_arrow(t))
			return fail(e, t ? t->col : L->end, t ? t->len : 1,
				    "expected '->' between the source and the destination");
		return fail(e, L->end, 1, "the destination address is missing after '->'");
	}
	src = &L->t[*i];
	arrow = &L->t[*i + 1];
	dst = &L->t[*i + 2];
	(void)arrow;
	if ((r = parse_endpoint(src, &sfam, &d->p.saddr, &sport, e)) < 0 ||
	    (r = parse_endpoint(dst, &dfam, &d->p.daddr, &dport, e)) < 0)
		return r;
	if (sfam != dfam)
		return fail(e, dst->col, dst->len, "the source is an IPv%d address, the destination an IPv%d one",
			    sfam, dfam);
	d->p.family = sfam;
	if (d->p.l4proto == IPPROTO_ICMP && sfam == 6)
		d->p.l4proto = IPPROTO_ICMPV6;
	if (d->p.l4proto == IPPROTO_ICMPV6 && sfam == 4)
		return fail(e, L->t[0].col, L->t[0].len, "icmpv6 between IPv4 addresses: write icmp");
	if (!has_ports(d->p.l4proto) && (sport >= 0 || dport >= 0)) {
		const struct tok *t = sport >= 0 ? src : dst;
		return fail(e, t->col, t->len, "%s has no ports: write the address alone",
			    l4proto_name(d->p.l4proto));
	}
	if (has_ports(d->p.l4proto) && dport < 0)
		return fail(e, dst->col, dst->len, "%s wants a destination port: %s",
			    l4proto_name(d->p.l4proto), dfam == 6 ? "[ADDRESS]:PORT" : "ADDRESS:PORT");
	d->sport_given = sport >= 0;
	d->p.sport = sport >= 0 ? (uint16_t)sport : has_ports(d->p.l4proto) ? PKTDESC_SPORT : 0;
	d->p.dport = dport >= 0 ? (uint16_t)dport : 0;
	*i += 3;
	return 0;
}

int pktdesc_parse(const char *text, struct pktdesc *d, struct pktdesc_err *e)
{
	struct lexed L;
	struct seen sn = { 0 };
	unsigned i = 1;
	int r;

	memset(d, 0, sizeof(*d));
	memset(e, 0, sizeof(*e));
	d->p.ct = IR_CT_NEW;
	if ((r = lex(text, &L, e)) < 0)
		return r;
	if (!L.n)
		return fail(e, 1, 1, "empty: describe a packet as PROTO SOURCE -> DESTINATION, e.g. 'tcp 192.0.2.7:40000 -> 10.0.0.1:22 iif eth0'");
	if ((r = parse_proto(&L.t[0], d, e)) < 0)
		return r;
	/* options may stand before the addresses too ("icmp type echo-request A -> B") */
	while (i + 1 < L.n && is_keyword(&L.t[i]) && !is_arrow(&L.t[i + 1]))
		if ((r = parse_option(&L, &i, d, &sn, e)) < 0)
			return r;
	if ((r = parse_flow(&L, &i, d, e)) < 0)
		return r;
	while (i < L.n)
		if ((r = parse_option(&L, &i, d, &sn, e)) < 0)
			return r;
	if (sn.status && (d->p.ct == IR_CT_INVALID || d->p.ct == IR_CT_UNTRACKED))
		return fail(e, sn.status->col, sn.status->len,
			    "status dnat needs a conntrack entry: not with ct invalid or untracked");
	return parse_icmp(&sn, &L, d, e);
}

enum chain_id pktdesc_chain(const struct pktdesc *d)
{
	if (d->has_iif && d->has_oif)
		return CH_FORWARD;
	return d->has_oif ? CH_OUTPUT : CH_INPUT;
}

static void put_endpoint(struct strbuf *sb, int family, u128 a, bool port, uint16_t p)
{
	char buf[64];

	addr_format(family == 4 ? AF_V4 : AF_V6, a, buf, sizeof(buf));
	if (!port)
		sb_puts(sb, buf);
	else if (family == 6)
		sb_printf(sb, "[%s]:%u", buf, p);
	else
		sb_printf(sb, "%s:%u", buf, p);
}

void pktdesc_format(struct strbuf *sb, const struct ir_pkt *p)
{
	static const char *const states[] = { "new", "established", "related", "invalid", "untracked" };
	bool ports = has_ports(p->l4proto);
	const char *proto = l4proto_name(p->l4proto);

	sb_printf(sb, "%s ", p->l4proto == IPPROTO_ICMPV6 ? "icmpv6" : proto ? proto : "?");
	put_endpoint(sb, p->family, p->saddr, ports, p->sport);
	sb_puts(sb, " -> ");
	put_endpoint(sb, p->family, p->daddr, ports, p->dport);
	if (p->l4proto == IPPROTO_ICMP || p->l4proto == IPPROTO_ICMPV6) {
		const char *n = icmp_type_name(p->l4proto == IPPROTO_ICMPV6, p->icmp_type);
		if (n)
			sb_printf(sb, " type %s", n);
		else
			sb_printf(sb, " type %u", p->icmp_type);
		if (p->icmp_code)
			sb_printf(sb, " code %u", p->icmp_code);
	}
	if (p->iif[0])
		sb_printf(sb, " iif %s", p->iif);
	if (p->oif[0])
		sb_printf(sb, " oif %s", p->oif);
	if (p->ct != IR_CT_NEW && (unsigned)p->ct < ARRAY_SIZE(states))
		sb_printf(sb, " ct %s", states[p->ct]);
	if (p->dnat)
		sb_puts(sb, " status dnat");
}
