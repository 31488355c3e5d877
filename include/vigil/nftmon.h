/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_NFTMON_H
#define VIGIL_NFTMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The nf_tables monitor (NFNLGRP_NFTABLES = 7): every committed change is
 * multicast as one message per changed object, then a NEWGEN that closes
 * the transaction and names the process that made it (NFTA_GEN_PROC_PID,
 * NFTA_GEN_PROC_NAME). Every message's nlmsg_pid is the portid of the
 * committing socket, so vigild knows its own commits (its helper's portid)
 * from anybody else's. Parsing is pure and defensive.
 */
#define NFTMON_GROUP 7

enum nftmon_kind {
	NFTMON_TABLE = 1,
	NFTMON_CHAIN,
	NFTMON_RULE,
	NFTMON_SET,
	NFTMON_SETELEM,
	NFTMON_OBJ,
	NFTMON_FLOWTABLE,
	NFTMON_GEN,
};

struct nftmon_event {
	enum nftmon_kind kind;
	bool del;               /* a deletion (DEL*, DESTROY*) */
	uint8_t family;
	uint32_t portid;        /* the committing socket */
	char table[64];
	char name[64];          /* chain, set, object or flowtable name */
	char chain[64];         /* rules: their chain */
	uint64_t handle;        /* rules: their handle */
	bool has_policy;        /* chains: NFTA_CHAIN_POLICY present ... */
	uint32_t policy;        /* ... NF_DROP / NF_ACCEPT */
	/* NEWGEN */
	uint32_t genid;
	uint32_t pid;           /* the committing process, 0 if unknown */
	char comm[32];          /* its name, "" if unknown */
};

/*
 * Parses one monitor message. Returns 0, -ENOMSG for a well-formed message
 * that is not an nf_tables object event (skip it), or -EBADMSG.
 */
int nftmon_parse(const void *msg, size_t len, struct nftmon_event *ev);

/* "rule added to chain input", "table deleted", "set admins_v4 changed". */
void nftmon_describe(const struct nftmon_event *ev, char *buf, size_t len);

#endif
