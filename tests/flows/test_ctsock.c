// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The conntrack event socket against the real kernel, in a throwaway network
 * namespace (unshare(CLONE_NEWNET): it disappears with this process). Root.
 *
 * - N TCP connections over 127.0.0.1 and ::1 give exactly N NEW events with
 *   the right ports and the mark the ruleset set, then (after a conntrack
 *   flush) N DESTROY events with counters and timestamps (acct and timestamp
 *   enabled in the namespace);
 * - a socket with a tiny buffer loses events, and what it received plus its
 *   SO_MEMINFO drop count is exactly what the kernel sent; ENOBUFS shows;
 * - the bound socket keeps receiving after the process drops to nobody, while
 *   binding and conntrack requests are refused to nobody;
 * - a datagram unicast by another user socket is not taken for an event.
 * Prints TAP.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <grp.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include "vigil/ct.h"
#include "vigil/ctsock.h"
#include "vigil/util.h"

#define N4 40
#define N6 10
#define PORT4 47123
#define PORT6 47124
#define UDP_PORT 47200
#define N_UDP 400
#define RULE_INDEX 6 /* the ruleset marks with (6 + 1) << 16 like vigild's rule 6 */

static int tap_n, tap_fail;

static void __attribute__((format(printf, 2, 3))) t_ok(bool cond, const char *fmt, ...)
{
	va_list ap;

	printf("%s %d - ", cond ? "ok" : "not ok", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	if (!cond)
		tap_fail++;
}

/* VIGIL_REQUIRE_NETNS=1 (CI): a test that cannot run is a failure, not a skip. */
static void __attribute__((noreturn)) skip_all(const char *why)
{
	const char *req = getenv("VIGIL_REQUIRE_NETNS");

	if (req && streq(req, "1")) {
		printf("Bail out! %s (VIGIL_REQUIRE_NETNS=1)\n", why);
		exit(1);
	}
	printf("1..0 # SKIP %s\n", why);
	/* meson's TAP runner reads the skip from the plan and calls a non-zero
	 * status an error (VIGIL_SKIP_STATUS=0); run by hand, a skip exits 77 */
	const char *st = getenv("VIGIL_SKIP_STATUS");
	exit(st && streq(st, "0") ? 0 : 77);
}

static void __attribute__((noreturn)) bail(const char *what)
{
	printf("Bail out! %s: %s\n", what, strerror(errno));
	exit(1);
}

static void lo_up(void)
{
	struct ifreq ifr = { 0 };
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (s < 0)
		bail("socket");
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		bail("SIOCGIFFLAGS");
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		bail("SIOCSIFFLAGS");
	close(s);
}

/* Conntrack runs in a namespace only once a ruleset needs it: this one does, and marks. */
static int load_ruleset(void)
{
	FILE *f = popen("nft -f - 2>&1", "w");

	if (!f)
		return -1;
	fprintf(f,
		"table inet vigil_ctsock_test {\n"
		"  chain output {\n"
		"    type filter hook output priority 0; policy accept;\n"
		"    ct state new tcp dport { %d, %d }"
		" ct mark set ct mark and 0x0000ffff or 0x%08x\n"
		"  }\n"
		"}\n",
		PORT4, PORT6, (unsigned)(RULE_INDEX + 1) << 16);
	return pclose(f);
}

/* ---- what the sockets saw ---- */

struct seen {
	unsigned news[2], destroys[2], udp_news;
	unsigned other, bad;
	unsigned wrong_mark, no_counters, small_counters, no_timestamps, unknown_port;
	uint16_t ports[2][N4 + N6];
	unsigned nports[2];
	uint8_t got_new[2][65536 / 8], got_destroy[2][65536 / 8];
};

static bool bit(uint8_t *m, uint16_t i, bool set)
{
	bool was = m[i / 8] & (1u << (i % 8));

	if (set)
		m[i / 8] |= (uint8_t)(1u << (i % 8));
	return was;
}

static bool known_port(const struct seen *s, int k, uint16_t p)
{
	for (unsigned i = 0; i < s->nports[k]; i++)
		if (s->ports[k][i] == p)
			return true;
	return false;
}

static int on_event(void *ctx, const struct nlmsghdr *nlh)
{
	struct seen *s = ctx;
	struct ct_event ev;
	int k;

	if (ct_parse(nlh, nlh->nlmsg_len, &ev) < 0) {
		s->bad++;
		return 0;
	}
	if (ev.proto == IPPROTO_UDP && ev.dport == UDP_PORT) {
		s->udp_news += ev.type == CT_EVENT_NEW;
		return 0;
	}
	if (ev.proto != IPPROTO_TCP || (ev.dport != PORT4 && ev.dport != PORT6)) {
		s->other++;
		return 0;
	}
	k = ev.dport == PORT6;
	if ((k == 1) != (ev.family == AF_INET6))
		s->other++;
	if (!known_port(s, k, ev.sport))
		s->unknown_port++;
	if ((ev.mark >> 16) != RULE_INDEX + 1)
		s->wrong_mark++;
	if (ev.type == CT_EVENT_NEW) {
		if (!bit(s->got_new[k], ev.sport, true))
			s->news[k]++;
	} else if (ev.type == CT_EVENT_DESTROY) {
		if (!bit(s->got_destroy[k], ev.sport, true))
			s->destroys[k]++;
		if (!(ev.have & CT_HAVE_COUNTERS_ORIG) || !(ev.have & CT_HAVE_COUNTERS_REPLY))
			s->no_counters++;
		/* client sent 100 bytes of data, the server 50: plus headers, SYN, FIN */
		else if (ev.orig_bytes < 100 + 4 * 40 || ev.reply_bytes < 50 + 3 * 40 ||
			 ev.orig_packets < 4 || ev.reply_packets < 3)
			s->small_counters++;
		if (!(ev.have & CT_HAVE_TS_START) || !(ev.have & CT_HAVE_TS_STOP) ||
		    ev.stop_ns < ev.start_ns)
			s->no_timestamps++;
	}
	return 0;
}

/* Reads fd until done() or the deadline (ms). */
static void drain(int fd, struct ctsock_rx *rx, struct seen *s, struct ctsock_stats *st,
		  bool (*done)(const struct seen *), int ms)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		long el;

		if (ctsock_recv(fd, rx, 0, on_event, s, st) < 0)
			bail("ctsock_recv");
		if (done && done(s))
			return;
		clock_gettime(CLOCK_MONOTONIC, &t);
		el = (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
		if (el >= ms)
			return;
		poll(&p, 1, (int)(ms - el));
	}
}

static bool all_new(const struct seen *s)
{
	return s->news[0] >= N4 && s->news[1] >= N6;
}

static bool all_destroyed(const struct seen *s)
{
	return s->destroys[0] >= N4 && s->destroys[1] >= N6;
}

/* One TCP connection: 100 bytes up, 50 down, client closes first. Returns the client port. */
static uint16_t tcp_conn(int family, int lfd, uint16_t port)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t sl;
	char buf[100] = { 0 };
	int c, a;

	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sl = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		sin6->sin6_addr = in6addr_loopback;
		sl = sizeof(*sin6);
	}
	c = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c < 0 || connect(c, (struct sockaddr *)&ss, sl) < 0)
		bail("connect");
	a = accept(lfd, NULL, NULL);
	if (a < 0)
		bail("accept");
	if (write(c, buf, 100) != 100 || recv(a, buf, 100, MSG_WAITALL) != 100)
		bail("client -> server");
	if (write(a, buf, 50) != 50 || recv(c, buf, 50, MSG_WAITALL) != 50)
		bail("server -> client");
	sl = sizeof(ss);
	if (getsockname(c, (struct sockaddr *)&ss, &sl) < 0)
		bail("getsockname");
	close(c);
	recv(a, buf, 1, 0); /* the FIN */
	close(a);
	return family == AF_INET ? ntohs(((struct sockaddr_in *)&ss)->sin_port) :
				   ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

static int listener(int family, uint16_t port)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t sl;
	int one = 1, l = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sl = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		sin6->sin6_addr = in6addr_loopback;
		sl = sizeof(*sin6);
	}
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (l < 0 || bind(l, (struct sockaddr *)&ss, sl) < 0 || listen(l, 64) < 0)
		bail("listen");
	return l;
}

/* Deletes every conntrack entry (as `conntrack -F`): each one sends a DESTROY event. */
static int ct_flush(int family)
{
	_cleanup_close_ int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
	uint64_t buf[1024];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;
	ssize_t n;

	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_DELETE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = 1;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = (uint8_t)family;
	nfg->version = NFNETLINK_V0;
	if (fd < 0 || send(fd, nlh, nlh->nlmsg_len, 0) < 0)
		return -errno;
	n = recv(fd, buf, sizeof(buf), 0);
	if (n < (ssize_t)(NLMSG_HDRLEN + sizeof(struct nlmsgerr)))
		return -EIO;
	nlh = (struct nlmsghdr *)buf;
	if (nlh->nlmsg_type != NLMSG_ERROR)
		return -EIO;
	return ((struct nlmsgerr *)mnl_nlmsg_get_payload(nlh))->error;
}

static void udp_flows(int n)
{
	struct sockaddr_in dst = { .sin_family = AF_INET, .sin_port = htons(UDP_PORT),
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int r = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (r < 0 || bind(r, (struct sockaddr *)&dst, sizeof(dst)) < 0)
		bail("udp receiver");
	int *s = xcalloc((size_t)n, sizeof(*s));

	for (int i = 0; i < n; i++) {
		/* a new socket, a new source port, a new conntrack entry; all stay
		 * open, or a closed one's port could come back for a later one */
		s[i] = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (s[i] < 0 || sendto(s[i], "x", 1, 0, (struct sockaddr *)&dst, sizeof(dst)) != 1)
			bail("udp send");
	}
	for (int i = 0; i < n; i++)
		close(s[i]);
	free(s);
	close(r);
}

static bool drop_to_nobody(void)
{
	struct passwd *pw = getpwnam("nobody");

	return pw && setgroups(0, NULL) == 0 && setgid(pw->pw_gid) == 0 &&
	       setuid(pw->pw_uid) == 0;
}

int main(void)
{
	struct ctsock_stats st = { 0 }, st2 = { 0 };
	struct ctsock_rx *rx;
	struct seen *s = xzalloc(sizeof(*s)), *s2 = xzalloc(sizeof(*s2));
	size_t actual = 0, small = 0;
	uint32_t drops = 1, drops2 = 0;
	uint64_t inserts = 0;
	int fd, fd2, v, r, l4, l6, status = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (geteuid() != 0)
		skip_all("needs root (network namespace, conntrack)");
	if (unshare(CLONE_NEWNET) < 0)
		skip_all("cannot unshare a network namespace");
	lo_up();
	if (load_ruleset() != 0)
		skip_all("cannot load an nftables ruleset with ct (nft missing, or no nf_tables)");

	/* settings, per namespace */
	r = ctsock_sysctl_set(CTSOCK_SYSCTL_ACCT, 1);
	t_ok(r == 0, "nf_conntrack_acct=1 in the namespace (%s)", strerror(-r));
	r = ctsock_sysctl_set(CTSOCK_SYSCTL_TIMESTAMP, 1);
	t_ok(r == 0, "nf_conntrack_timestamp=1 in the namespace (%s)", strerror(-r));
	v = -1;
	r = ctsock_sysctl_get(CTSOCK_SYSCTL_ACCT, &v);
	t_ok(r == 0 && v == 1, "acct reads back 1 (%d)", v);
	v = -1;
	r = ctsock_sysctl_get(CTSOCK_SYSCTL_TIMESTAMP, &v);
	t_ok(r == 0 && v == 1, "timestamp reads back 1 (%d)", v);
	v = -1;
	r = ctsock_sysctl_get(CTSOCK_SYSCTL_EVENTS, &v);
	t_ok(r == 0 && v > 0, "nf_conntrack_events is on (%d)", v);
	t_ok(ctsock_sysctl_get((enum ctsock_sysctl)9, &v) == -EINVAL, "unknown sysctl refused");

	fd = ctsock_open(0, &actual, NULL);
	if (fd < 0) {
		errno = -fd;
		bail("ctsock_open");
	}
	t_ok(actual >= CTSOCK_DEFAULT_RCVBUF, "receive buffer forced to %zu bytes (asked %u)",
	     actual, CTSOCK_DEFAULT_RCVBUF);
	{
		uint32_t groups[4] = { 0 };
		socklen_t len = sizeof(groups);

		r = getsockopt(fd, SOL_NETLINK, NETLINK_LIST_MEMBERSHIPS, groups, &len);
		t_ok(r == 0 && groups[0] == ((1u << (NFNLGRP_CONNTRACK_NEW - 1)) |
					     (1u << (NFNLGRP_CONNTRACK_DESTROY - 1))),
		     "subscribed to NEW and DESTROY only (groups %#x)", groups[0]);
		int noenobufs = -1;
		len = sizeof(noenobufs);
		r = getsockopt(fd, SOL_NETLINK, NETLINK_NO_ENOBUFS, &noenobufs, &len);
		t_ok(r == 0 && noenobufs == 0, "NETLINK_NO_ENOBUFS is off");
	}
	/* the largest buffer there is, and nothing beyond it */
	{
		size_t big = 0;
		const char *step = NULL;
		int fdb = ctsock_open(CTSOCK_MAX_RCVBUF, &big, &step);

		t_ok(fdb >= 0 && big == (size_t)INT32_MAX - 1,
		     "--ct-buffer 1G: the kernel grants %zu bytes (%s)", big,
		     fdb < 0 ? strerror(-fdb) : "ok");
		if (fdb >= 0)
			close(fdb);
		fdb = ctsock_open(CTSOCK_MAX_RCVBUF - 1, &big, NULL);
		t_ok(fdb >= 0 && big == (size_t)INT32_MAX - 1, "1G - 1 byte: %zu bytes", big);
		if (fdb >= 0)
			close(fdb);
		fdb = ctsock_open((size_t)CTSOCK_MAX_RCVBUF + 1, &big, &step);
		t_ok(fdb == -ERANGE && step && strcmp(step, "the buffer size") == 0,
		     "more than 1G is refused before any socket (%d, %s)", fdb, step ? step : "");
		fdb = ctsock_open((size_t)2 << 30, &big, NULL);
		t_ok(fdb == -ERANGE, "2G is refused (%d)", fdb);
	}
	rx = ctsock_rx_new();

	/* N connections */
	l4 = listener(AF_INET, PORT4);
	l6 = listener(AF_INET6, PORT6);
	for (int i = 0; i < N4; i++)
		s->ports[0][s->nports[0]++] = tcp_conn(AF_INET, l4, PORT4);
	for (int i = 0; i < N6; i++)
		s->ports[1][s->nports[1]++] = tcp_conn(AF_INET6, l6, PORT6);
	drain(fd, rx, s, &st, all_new, 3000);
	drain(fd, rx, s, &st, NULL, 200); /* and nothing more arrives */
	t_ok(s->news[0] == N4, "%u NEW events for the %d IPv4 connections", s->news[0], N4);
	t_ok(s->news[1] == N6, "%u NEW events for the %d IPv6 connections", s->news[1], N6);
	t_ok(s->unknown_port == 0, "every NEW has a client's source port (%u unknown)",
	     s->unknown_port);
	t_ok(s->wrong_mark == 0, "every NEW carries the rule mark %#x (%u wrong)",
	     (RULE_INDEX + 1) << 16, s->wrong_mark);
	t_ok(s->destroys[0] + s->destroys[1] == 0, "no DESTROY before the entries go");
	t_ok(s->bad == 0 && st.malformed == 0 && st.truncated == 0 && st.foreign == 0,
	     "every message parsed (bad %u, malformed %llu)", s->bad,
	     (unsigned long long)st.malformed);
	t_ok(st.messages == N4 + N6 + s->other, "no other events: %llu messages, %u others",
	     (unsigned long long)st.messages, s->other);

	/* the entries sit in TIME_WAIT for minutes: delete them, as conntrack -F would */
	r = ct_flush(AF_INET);
	t_ok(r == 0, "conntrack flush (IPv4) (%s)", strerror(-r));
	r = ct_flush(AF_INET6);
	t_ok(r == 0, "conntrack flush (IPv6) (%s)", strerror(-r));
	drain(fd, rx, s, &st, all_destroyed, 3000);
	t_ok(s->destroys[0] == N4 && s->destroys[1] == N6, "%u + %u DESTROY events", s->destroys[0],
	     s->destroys[1]);
	t_ok(s->no_counters == 0, "every DESTROY has both counters (acct=1) (%u without)",
	     s->no_counters);
	t_ok(s->small_counters == 0, "counters cover the bytes sent each way (%u too small)",
	     s->small_counters);
	t_ok(s->no_timestamps == 0, "every DESTROY has start <= stop timestamps (%u without)",
	     s->no_timestamps);
	r = ctsock_drops(fd, &drops);
	t_ok(r == 0 && drops == 0 && st.enobufs == 0, "the big buffer lost nothing (drops %u)",
	     drops);

	/* a tiny buffer overflows: received + drops == sent, exactly */
	fd2 = ctsock_open(1, &small, NULL);
	t_ok(fd2 >= 0 && small < 16384, "a socket with a %zu-byte buffer", small);
	udp_flows(N_UDP);
	drain(fd2, rx, s2, &st2, NULL, 300);
	drain(fd, rx, s, &st, NULL, 300);
	r = ctsock_drops(fd2, &drops2);
	t_ok(r == 0 && drops2 > 0, "the small socket dropped %u events", drops2);
	t_ok(st2.enobufs >= 1, "and reported %llu ENOBUFS episode(s)",
	     (unsigned long long)st2.enobufs);
	t_ok(s2->udp_news + drops2 == N_UDP, "received %u + dropped %u == %d sent", s2->udp_news,
	     drops2, N_UDP);
	t_ok(s->udp_news == N_UDP, "the big socket received all %u", s->udp_news);
	close(fd2);

	/* the kernel's insert statistic: needs CAP_NET_ADMIN in the sender */
	r = ctsock_insert_count(&inserts);
	t_ok(r == 0, "insert statistic read as root (%s): %llu", strerror(-r),
	     (unsigned long long)inserts);
	printf("# %llu conntrack entries were confirmed in this namespace; the kernel's"
	       " 'insert' statistic says %llu\n", (unsigned long long)(N4 + N6 + N_UDP),
	       (unsigned long long)inserts);

	/* after dropping to nobody: the bound socket still receives; nothing privileged works */
	pid_t pid = fork();
	if (pid == 0) {
		struct seen *c = xzalloc(sizeof(*c));
		struct ctsock_stats cst = { 0 };
		uint64_t ins;
		int code = 0;

		if (!drop_to_nobody())
			_exit(10);
		if (ctsock_open(0, NULL, NULL) != -EPERM)
			code |= 1;
		if (ctsock_insert_count(&ins) != -EPERM)
			code |= 2;
		if (ctsock_sysctl_set(CTSOCK_SYSCTL_ACCT, 0) >= 0)
			code |= 4;
		c->ports[0][c->nports[0]++] = tcp_conn(AF_INET, l4, PORT4);
		drain(fd, rx, c, &cst, NULL, 500);
		if (c->news[0] != 1)
			code |= 8;
		_exit(code);
	}
	t_ok(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status),
	     "unprivileged child ran");
	t_ok(WEXITSTATUS(status) != 10, "dropped to nobody");
	t_ok(!(WEXITSTATUS(status) & 1), "nobody cannot bind the event groups (EPERM)");
	t_ok(!(WEXITSTATUS(status) & 2), "nobody cannot read the insert statistic (EPERM)");
	t_ok(!(WEXITSTATUS(status) & 4), "nobody cannot change the sysctls");
	t_ok(!(WEXITSTATUS(status) & 8), "nobody still receives events on the bound socket");

	/* a user socket can unicast to our portid: such datagrams are not events */
	{
		struct sockaddr_nl me = { 0 }, to = { .nl_family = AF_NETLINK };
		socklen_t len = sizeof(me);
		uint64_t buf[512];
		struct seen *f = xzalloc(sizeof(*f));
		struct ctsock_stats fst = { 0 };
		int u = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
		struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
		struct nfgenmsg *nfg;

		getsockname(fd, (struct sockaddr *)&me, &len);
		to.nl_pid = me.nl_pid;
		nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW;
		nlh->nlmsg_flags = NLM_F_CREATE;
		nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
		nfg->nfgen_family = AF_INET;
		r = (int)sendto(u, nlh, nlh->nlmsg_len, 0, (struct sockaddr *)&to, sizeof(to));
		if (r < 0) {
			printf("ok %d # SKIP the kernel refused a user unicast (%s)\n", ++tap_n,
			       strerror(errno));
		} else {
			drain(fd, rx, f, &fst, NULL, 200);
			t_ok(fst.foreign == 1 && fst.messages == 0 && f->bad == 0,
			     "a user socket's unicast is ignored (foreign %llu, messages %llu)",
			     (unsigned long long)fst.foreign, (unsigned long long)fst.messages);
		}
		close(u);
		free(f);
	}

	ctsock_rx_free(rx);
	close(fd);
	close(l4);
	close(l6);
	free(s);
	free(s2);
	printf("1..%d\n", tap_n);
	return tap_fail ? 1 : 0;
}
