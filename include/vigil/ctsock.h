/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_CTSOCK_H
#define VIGIL_CTSOCK_H

#include <stddef.h>
#include <stdint.h>
#include <linux/netlink.h>

/*
 * The conntrack event socket and the conntrack settings vigild reads.
 *
 * Privileges (kernel facts, see docs): binding the NETLINK_NETFILTER
 * multicast groups and SO_RCVBUFFORCE need CAP_NET_ADMIN at that moment;
 * receiving on the bound socket needs nothing, so open it before dropping
 * privileges (or in the helper, and pass the fd over). Every nfnetlink
 * REQUEST (ctsock_insert_count) needs CAP_NET_ADMIN in the process that
 * sends it. Writing the sysctls needs root in the network namespace.
 */

#define CTSOCK_DEFAULT_RCVBUF (32u << 20)
/*
 * The largest receive buffer that can be asked for: the kernel caps requests
 * at INT_MAX / 2 and doubles them (checked: 1G gives 2147483646 bytes,
 * anything larger could only be the same or, past INT_MAX, overflow).
 */
#define CTSOCK_MAX_RCVBUF (1u << 30)

/*
 * Opens a non-blocking NETLINK_NETFILTER socket subscribed to
 * NFNLGRP_CONNTRACK_NEW and NFNLGRP_CONNTRACK_DESTROY only (never UPDATE),
 * with a receive buffer of rcvbuf bytes (0 = CTSOCK_DEFAULT_RCVBUF) set with
 * SO_RCVBUFFORCE. NETLINK_NO_ENOBUFS is left off: overruns must be seen.
 * When SO_RCVBUFFORCE is refused (no CAP_NET_ADMIN) it falls back to
 * SO_RCVBUF, capped by net.core.rmem_max: *actual (may be NULL) receives the
 * size the kernel granted (it doubles requests; compare with rcvbuf * 2).
 * rcvbuf above CTSOCK_MAX_RCVBUF is refused with -ERANGE; CTSOCK_MAX_RCVBUF
 * itself is asked as INT_MAX / 2, the kernel's cap.
 * Returns the fd, or -EPERM (no CAP_NET_ADMIN for the bind) / -errno; on
 * failure *failed (may be NULL) names the step: "the buffer size", "socket",
 * "SO_RCVBUF", "bind" or "getsockopt".
 */
int ctsock_open(size_t rcvbuf, size_t *actual, const char **failed);

/*
 * The socket's drop counter (SO_MEMINFO, SK_MEMINFO_DROPS): every event the
 * kernel could not queue. It is a free-running 32-bit counter: take deltas
 * with uint32_t arithmetic. Returns 0 or -errno.
 */
int ctsock_drops(int fd, uint32_t *drops);

/* What ctsock_recv saw (cumulative: the caller zeroes it once). */
struct ctsock_stats {
	uint64_t datagrams;  /* received */
	uint64_t messages;   /* netlink messages handed to the callback */
	uint64_t enobufs;    /* ENOBUFS: receive-buffer overrun episodes */
	uint64_t foreign;    /* datagrams not sent by the kernel (nl_pid != 0): ignored */
	uint64_t truncated;  /* datagrams larger than a receive slot: ignored */
	uint64_t malformed;  /* datagrams with broken netlink framing (rest ignored) */
};

/* A ring of receive slots for recvmmsg; reusable, one per reader thread. */
struct ctsock_rx;
#define CTSOCK_RX_SLOTS 64
#define CTSOCK_RX_SLOT_SIZE 8192 /* one event is a few hundred bytes */
struct ctsock_rx *ctsock_rx_new(void);
void ctsock_rx_free(struct ctsock_rx *rx);

/*
 * Reads what is queued on fd (non-blocking) with recvmmsg into rx's slots,
 * at most max_batches calls of CTSOCK_RX_SLOTS datagrams (0 = until the
 * queue is empty), and hands every netlink message, whose nlmsg_len is
 * checked to lie within the datagram, to cb. ENOBUFS counts one overrun
 * episode in st and reading goes on. A cb returning < 0 stops the read and
 * that value is returned (the rest of that batch is lost). Returns the
 * number of messages handed over (0: nothing was queued), or -errno for a
 * socket failure.
 */
int ctsock_recv(int fd, struct ctsock_rx *rx, unsigned max_batches,
		int (*cb)(void *ctx, const struct nlmsghdr *nlh), void *ctx,
		struct ctsock_stats *st);

/*
 * The kernel's per-CPU conntrack "insert" statistic summed over CPUs
 * (IPCTNL_MSG_CT_GET_STATS_CPU, on a socket of its own). NEEDS CAP_NET_ADMIN
 * IN THE CALLING PROCESS (the kernel checks the sender): call it in the
 * privileged helper. Returns 0, -EPERM without the capability, or -errno.
 * Note: current kernels (checked on 6.18) count only entries created through
 * ctnetlink here, not connections confirmed by packets; see docs.
 */
int ctsock_insert_count(uint64_t *inserts);

/* net.netfilter sysctls of the caller's network namespace. */
enum ctsock_sysctl {
	CTSOCK_SYSCTL_ACCT,      /* nf_conntrack_acct: counters in DESTROY events */
	CTSOCK_SYSCTL_TIMESTAMP, /* nf_conntrack_timestamp: start/stop in DESTROY events */
	CTSOCK_SYSCTL_EVENTS,    /* nf_conntrack_events: 0 = no events at all */
};

/* Reads the value; -ENOENT when conntrack is not loaded. */
int ctsock_sysctl_get(enum ctsock_sysctl which, int *value);
/* Writes it (root in the namespace). Connections that exist keep their old setting. */
int ctsock_sysctl_set(enum ctsock_sysctl which, int value);

#endif
