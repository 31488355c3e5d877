// SPDX-License-Identifier: GPL-2.0-or-later
/* The flows database: the translation of a row through NAT (nat_dst,
 * nat_dport, nat_src, nat), for flowdb_agg_row. */
#include <arpa/inet.h>
#include <stdio.h>
#include <sys/socket.h>

#include "vigil/flowdb.h"
#include "vigil/flowdb_follow.h"
#include "flowdb_int.h"

static const char *flowdb_addr(int family, const uint8_t *a, char *buf, size_t len)
{
	if (!inet_ntop(family, a, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

/* The nat entry index + 1 idx by name, or "#N" (N = idx) in buf. */
static const char *flowdb_nat_name(const struct flowdb_names *nm, uint16_t idx, char *buf,
				   size_t len)
{
	if ((size_t)idx - 1 < nm->nnats && nm->nats[idx - 1])
		return nm->nats[idx - 1];
	snprintf(buf, len, "#%u", (unsigned)idx);
	return buf;
}

void flowdb_agg_nat(const struct agg_key *k, const struct flowdb_names *nm, struct flowdb_row *out,
		    struct flowdb_row_text *t)
{
	int fam = k->family == AF_INET6 ? AF_INET6 : AF_INET;
	char d[16], s[16];

	out->nat_dst = out->nat_src = out->nat = NULL;
	out->nat_dport = -1;
	t->nat[0] = '\0';
	if (k->family && (k->nat & CT_NAT_DST)) {
		out->nat_dst = flowdb_addr(fam, k->nat_dst, t->nat_dst, sizeof(t->nat_dst));
		out->nat_dport = k->nat_dport;
	}
	if (k->family && (k->nat & CT_NAT_SRC))
		out->nat_src = flowdb_addr(fam, k->nat_src, t->nat_src, sizeof(t->nat_src));
	if (k->dnat && k->snat)
		snprintf(t->nat, sizeof(t->nat), "%s,%s", flowdb_nat_name(nm, k->dnat, d, sizeof(d)),
			 flowdb_nat_name(nm, k->snat, s, sizeof(s)));
	else if (k->dnat || k->snat)
		snprintf(t->nat, sizeof(t->nat), "%s",
			 flowdb_nat_name(nm, k->dnat ? k->dnat : k->snat, d, sizeof(d)));
	out->nat = t->nat[0] ? t->nat : NULL; /* '' is "none", as the query says */
}
