/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_NAMES_H
#define VIGIL_NAMES_H

#include <stdbool.h>

/* ICMP and ICMPv6 type names as nft spells them. */
struct icmp_name {
	const char *name;
	unsigned type;
};
extern const struct icmp_name icmp4_names[];
extern const struct icmp_name icmp6_names[];

/* The type number for a name or a decimal 0..255; -1 if neither. */
int icmp_type_lookup(bool v6, const char *s);
/* nft's name for a type, or NULL when nft has none (print the number). */
const char *icmp_type_name(bool v6, unsigned type);

/* nft's name for an IP protocol number used by vigild: "tcp", "ipv6-icmp". */
const char *l4proto_name(unsigned proto);

/* A word nft cannot read as a table or set name ("tcp", "counter", ...). */
bool nft_keyword(const char *s);

#endif
