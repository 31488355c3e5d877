// SPDX-License-Identifier: GPL-2.0-or-later
/* The flows database: the translation columns of a row through NAT
 * (flowdb_flush_nat: nat_dst, nat_dport, nat_src, nat). */
#include <arpa/inet.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sqlite3.h>

#include "vigil/flowdb.h"
#include "flowdb_int.h"

static const char *flowdb_addr(int family, const uint8_t *a, char *buf, size_t len)
{
	if (!inet_ntop(family, a, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

/* The nat entry index + 1 idx by name, or "#N" (N = idx) in buf. */
static const char *flowdb_nat_name(const struct flowdb *db, uint16_t idx, char *buf, size_t len)
{
	if ((size_t)idx - 1 < db->nnats && db->nats[idx - 1])
		return db->nats[idx - 1];
	snprintf(buf, len, "#%u", (unsigned)idx);
	return buf;
}

/* The translation columns of an accepted row (binds 13 to 16). */
void flowdb_bind_nat(struct flowdb *db, sqlite3_stmt *st, const struct agg_key *k,
			    int fam, char ndst[INET6_ADDRSTRLEN], char nsrc[INET6_ADDRSTRLEN],
			    char nat[2 * NAT_NAME_LEN])
{
	const size_t len = INET6_ADDRSTRLEN, nlen = 2 * NAT_NAME_LEN;
	char d[16], s[16];

	ndst[0] = nsrc[0] = nat[0] = '\0';
	if (k->family && (k->nat & CT_NAT_DST))
		flowdb_addr(fam, k->nat_dst, ndst, len);
	if (k->family && (k->nat & CT_NAT_SRC))
		flowdb_addr(fam, k->nat_src, nsrc, len);
	if (k->dnat && k->snat)
		snprintf(nat, nlen, "%s,%s", flowdb_nat_name(db, k->dnat, d, sizeof(d)),
			 flowdb_nat_name(db, k->snat, s, sizeof(s)));
	else if (k->dnat || k->snat)
		snprintf(nat, nlen, "%s", flowdb_nat_name(db, k->dnat ? k->dnat : k->snat, d, sizeof(d)));
	sqlite3_bind_text(st, 13, ndst, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 14, ndst[0] ? k->nat_dport : 0);
	sqlite3_bind_text(st, 15, nsrc, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 16, nat, -1, SQLITE_STATIC);
}

