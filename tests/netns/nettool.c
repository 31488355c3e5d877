// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nettool: the netns tests' traffic tool (not installed).
 *
 *   nettool serve [--lifetime SEC] tcp|udp PORT...
 *	Listens on every PORT (IPv4 and IPv6, wildcard address). TCP: accepts
 *	and closes. UDP: echoes each datagram back to its sender. Prints
 *	"ready" once every socket is bound, then runs until killed or for
 *	SEC seconds (default 300), so a lost server cannot outlive a test.
 *
 *   nettool probe [--src ADDR] tcp|udp ADDR PORT TIMEOUT_MS
 *	TCP: connects. UDP: sends a token and waits for the same bytes back.
 *	Prints one line "RESULT MS VIA": RESULT is connected|echoed (exit 0)
 *	or refused|unreachable|timeout|mismatch (exit 1), MS the time it took,
 *	VIA what answered: "rst" (a TCP reset), "icmp/TYPE/CODE" or
 *	"icmp6/TYPE/CODE" (an ICMP error), "local" (our own stack refused to
 *	send, e.g. EPERM from an output drop), "-" otherwise.
 *	Exit 2 on a usage or local error (bad address, bind failure).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define MAX_PORTS 64

static const char usage_text[] =
	"usage: nettool serve [--lifetime SEC] tcp|udp PORT...\n"
	"       nettool probe [--src ADDR] tcp|udp ADDR PORT TIMEOUT_MS\n";

static int usage(void)
{
	fputs(usage_text, stderr);
	return 2;
}

static int parse_num(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

static int parse_proto(const char *s, int *type)
{
	if (strcmp(s, "tcp") == 0)
		*type = SOCK_STREAM;
	else if (strcmp(s, "udp") == 0)
		*type = SOCK_DGRAM;
	else
		return -1;
	return 0;
}

/* An IPv4 or IPv6 literal (no names: the tests use addresses only). */
static int parse_addr(const char *s, unsigned port, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, s, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
		*len = sizeof(*a4);
		return 0;
	}
	if (inet_pton(AF_INET6, s, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*a6);
		return 0;
	}
	return -1;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* ---- serve ---- */

static int serve_socket(int type, unsigned port)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_ANY_INIT };
	int fd, zero = 0, one = 1;

	a.sin6_port = htons((uint16_t)port);
	fd = socket(AF_INET6, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	/* one socket for both families: IPv4 arrives as ::ffff:a.b.c.d */
	if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    (type == SOCK_DGRAM &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one)) < 0) ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    (type == SOCK_STREAM && listen(fd, 64) < 0)) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/*
 * UDP answers come from the address the datagram was sent to (a host with
 * several addresses would otherwise pick one, and the client's connected
 * socket and conntrack would not take it as the answer). IPV6_PKTINFO also
 * carries IPv4 destinations, as ::ffff:a.b.c.d, on a dual-stack socket.
 */
static void udp_echo(int fd)
{
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(struct in6_pktinfo))];
	} ctl;
	struct sockaddr_storage peer;
	struct in6_pktinfo pi;
	struct cmsghdr *c;
	char buf[2048];
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct msghdr mh = {
		.msg_name = &peer, .msg_namelen = sizeof(peer),
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl.b, .msg_controllen = sizeof(ctl.b),
	};
	bool have_pi = false;
	ssize_t n;

	n = recvmsg(fd, &mh, 0);
	if (n < 0)
		return;
	for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			have_pi = true;
		}
	}
	iov.iov_len = (size_t)n;
	mh.msg_controllen = 0;
	mh.msg_control = NULL;
	if (have_pi) {
		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.b;
		mh.msg_controllen = sizeof(ctl.b);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = IPPROTO_IPV6;
		c->cmsg_type = IPV6_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		pi.ipi6_ifindex = 0;
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
	}
	sendmsg(fd, &mh, 0);
}

static void serve_event(int fd, int type)
{
	int c;

	if (type == SOCK_DGRAM) {
		udp_echo(fd);
		return;
	}
	c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
	if (c >= 0)
		close(c);
}

static int cmd_serve(int argc, char **argv)
{
	struct pollfd pfd[MAX_PORTS];
	long lifetime = 300, v;
	int type, n = 0;
	double deadline;

	if (argc >= 2 && strcmp(argv[0], "--lifetime") == 0) {
		if (parse_num(argv[1], 1, 86400, &lifetime) < 0)
			return usage();
		argc -= 2;
		argv += 2;
	}
	if (argc < 2 || argc - 1 > MAX_PORTS || parse_proto(argv[0], &type) < 0)
		return usage();
	for (int i = 1; i < argc; i++) {
		if (parse_num(argv[i], 1, 65535, &v) < 0)
			return usage();
		pfd[n].fd = serve_socket(type, (unsigned)v);
		if (pfd[n].fd < 0) {
			fprintf(stderr, "nettool: cannot listen on %s port %ld: %s\n", argv[0], v,
				strerror(errno));
			return 2;
		}
		pfd[n++].events = POLLIN;
	}
	printf("ready\n");
	fflush(stdout);

	deadline = now_ms() + (double)lifetime * 1e3;
	for (;;) {
		double left = deadline - now_ms();
		int r;

		if (left <= 0)
			return 0;
		r = poll(pfd, (nfds_t)n, left > 1000 ? 1000 : (int)left + 1);
		if (r < 0 && errno != EINTR) {
			fprintf(stderr, "nettool: poll: %s\n", strerror(errno));
			return 2;
		}
		for (int i = 0; r > 0 && i < n; i++)
			if (pfd[i].revents & POLLIN)
				serve_event(pfd[i].fd, type);
	}
}

/* ---- probe ---- */

/* Prints the probe's one line: RESULT MS VIA. */
static int result(const char *what, double t0, const char *via, int code)
{
	printf("%s %.0f %s\n", what, now_ms() - t0, via);
	return code;
}

static int error_result(int e, double t0, const char *via)
{
	switch (e) {
	case ECONNREFUSED:
		return result("refused", t0, via, 1);
	case EHOSTUNREACH:
	case ENETUNREACH:
	case EACCES:
	case EPERM:
		return result("unreachable", t0, via, 1);
	case ETIMEDOUT:
		return result("timeout", t0, via, 1);
	default:
		printf("error %s\n", strerror(e));
		return 2;
	}
}

/*
 * Takes an ICMP error from the socket's error queue (IP_RECVERR). Unlike
 * sk_err, the queue also holds an error that arrived while the socket was
 * busy in connect(): on a veth the answer to a SYN can come back before
 * connect() returns, and TCP then keeps it only as a soft error.
 * Returns the errno it stands for (0: none) and describes it in via.
 */
static int take_icmp_error(int fd, char *via, size_t vialen)
{
	union {
		struct cmsghdr h;
		char b[512];
	} ctl;
	char data[512];
	struct iovec iov = { .iov_base = data, .iov_len = sizeof(data) };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl.b, .msg_controllen = sizeof(ctl.b),
	};
	struct sock_extended_err ee;
	struct cmsghdr *c;

	if (recvmsg(fd, &mh, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
		return 0;
	for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (!((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR) ||
		      (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_RECVERR)))
			continue;
		memcpy(&ee, CMSG_DATA(c), sizeof(ee));
		if (ee.ee_origin != SO_EE_ORIGIN_ICMP && ee.ee_origin != SO_EE_ORIGIN_ICMP6)
			continue;
		snprintf(via, vialen, "%s/%u/%u", ee.ee_origin == SO_EE_ORIGIN_ICMP ? "icmp" : "icmp6",
			 ee.ee_type, ee.ee_code);
		return (int)ee.ee_errno;
	}
	return 0;
}

/* Waits for events on fd until the deadline. Returns revents, 0 on timeout. */
static int wait_for(int fd, short events, double deadline)
{
	struct pollfd p = { .fd = fd, .events = events };

	for (;;) {
		double left = deadline - now_ms();
		int r;

		if (left <= 0)
			return 0;
		r = poll(&p, 1, (int)left + 1);
		if (r < 0 && errno != EINTR)
			return POLLERR;
		if (r > 0)
			return p.revents;
	}
}

static int probe_tcp(int fd, double t0, double deadline)
{
	char via[32] = "rst";
	int e = 0, icmp;
	socklen_t elen = sizeof(e);

	if (!wait_for(fd, POLLOUT, deadline))
		return result("timeout", t0, "-", 1);
	icmp = take_icmp_error(fd, via, sizeof(via));
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &elen) < 0)
		e = errno;
	if (!e)
		e = icmp;
	if (!e)
		return result("connected", t0, "-", 0);
	/* without an ICMP error, a refusal is the peer's reset */
	return error_result(e, t0, icmp || e == ECONNREFUSED ? via : "-");
}

static int probe_udp(int fd, double t0, double deadline)
{
	char token[64], buf[128], via[32] = "-";
	ssize_t n;
	int e;

	snprintf(token, sizeof(token), "nettool %ld.%.0f", (long)getpid(), t0);
	if (send(fd, token, strlen(token), 0) < 0)
		return error_result(errno, t0, "local");
	if (!wait_for(fd, POLLIN, deadline))
		return result("timeout", t0, "-", 1);
	e = take_icmp_error(fd, via, sizeof(via));
	if (e)
		return error_result(e, t0, via);
	n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n < 0)
		return error_result(errno, t0, "-");
	if ((size_t)n != strlen(token) || memcmp(buf, token, (size_t)n) != 0)
		return result("mismatch", t0, "-", 1);
	return result("echoed", t0, "-", 0);
}

static int cmd_probe(int argc, char **argv)
{
	struct sockaddr_storage dst, src;
	socklen_t dlen, slen = 0;
	const char *srcarg = NULL;
	long port, timeout;
	int type, fd, r, one = 1;
	double t0, deadline;

	if (argc >= 2 && strcmp(argv[0], "--src") == 0) {
		srcarg = argv[1];
		argc -= 2;
		argv += 2;
	}
	if (argc != 4 || parse_proto(argv[0], &type) < 0 ||
	    parse_num(argv[2], 1, 65535, &port) < 0 || parse_num(argv[3], 1, 600000, &timeout) < 0 ||
	    parse_addr(argv[1], (unsigned)port, &dst, &dlen) < 0)
		return usage();
	if (srcarg && (parse_addr(srcarg, 0, &src, &slen) < 0 || src.ss_family != dst.ss_family)) {
		fprintf(stderr, "nettool: --src %s is not an address of %s's family\n", srcarg,
			argv[1]);
		return 2;
	}

	fd = socket(dst.ss_family, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		fprintf(stderr, "nettool: socket: %s\n", strerror(errno));
		return 2;
	}
	if (dst.ss_family == AF_INET)
		r = setsockopt(fd, IPPROTO_IP, IP_RECVERR, &one, sizeof(one));
	else
		r = setsockopt(fd, IPPROTO_IPV6, IPV6_RECVERR, &one, sizeof(one));
	if (r < 0 || (srcarg && bind(fd, (struct sockaddr *)&src, slen) < 0)) {
		fprintf(stderr, "nettool: cannot set up the socket%s%s: %s\n",
			srcarg ? " from " : "", srcarg ? srcarg : "", strerror(errno));
		close(fd);
		return 2;
	}

	t0 = now_ms();
	deadline = t0 + (double)timeout;
	if (connect(fd, (struct sockaddr *)&dst, dlen) < 0 && errno != EINPROGRESS)
		r = error_result(errno, t0, "local");
	else if (type == SOCK_STREAM)
		r = probe_tcp(fd, t0, deadline);
	else
		r = probe_udp(fd, t0, deadline);
	close(fd);
	return r;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 2 && strcmp(argv[1], "serve") == 0)
		return cmd_serve(argc - 2, argv + 2);
	if (argc >= 2 && strcmp(argv[1], "probe") == 0)
		return cmd_probe(argc - 2, argv + 2);
	return usage();
}
