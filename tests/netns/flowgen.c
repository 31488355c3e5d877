// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * flowgen: a burst of new UDP flows, each a distinct (source port,
 * destination port) pair, so every datagram makes the kernel create a
 * conntrack entry (no established shortcut). Datagrams go out in sendmmsg
 * batches from a few sockets bound to consecutive source ports.
 *
 *   flowgen [--src ADDR] [--sport BASE] ADDR DPORT_LO DPORT_HI COUNT
 *
 * Prints "sent N flows in T ms (R flows/s)". Used by the watch tests and
 * bench/flows.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 256

static int parse(const char *s, int port, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, s, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
		*len = sizeof(*a4);
		return AF_INET;
	}
	if (inet_pton(AF_INET6, s, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*a6);
		return AF_INET6;
	}
	return -1;
}

static void set_port(struct sockaddr_storage *ss, int port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	const char *src = NULL;
	int sport = 20000, i = 1;
	struct sockaddr_storage dst, bindaddr;
	socklen_t dlen, blen;
	int fam, lo, hi;
	long count, sent = 0;
	double t0;

	while (i < argc && argv[i][0] == '-' && argv[i][1] == '-') {
		if (!strcmp(argv[i], "--src") && i + 1 < argc)
			src = argv[i + 1];
		else if (!strcmp(argv[i], "--sport") && i + 1 < argc)
			sport = atoi(argv[i + 1]);
		else
			break;
		i += 2;
	}
	if (argc - i != 4) {
		fprintf(stderr, "usage: flowgen [--src ADDR] [--sport BASE] ADDR DPORT_LO DPORT_HI COUNT\n");
		return 2;
	}
	fam = parse(argv[i], 0, &dst, &dlen);
	lo = atoi(argv[i + 1]);
	hi = atoi(argv[i + 2]);
	count = atol(argv[i + 3]);
	if (fam < 0 || lo < 1 || hi > 65535 || lo > hi || count < 1) {
		fprintf(stderr, "flowgen: bad arguments\n");
		return 2;
	}
	if (src && parse(src, 0, &bindaddr, &blen) != fam) {
		fprintf(stderr, "flowgen: --src must be of the destination's family\n");
		return 2;
	}
	if (!src) {
		memset(&bindaddr, 0, sizeof(bindaddr));
		bindaddr.ss_family = (sa_family_t)fam;
		blen = dlen;
	}

	t0 = now_ms();
	int span = hi - lo + 1;
	for (int s = 0; sent < count; s++) {
		int fd = socket(fam, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		int one = 1;

		if (fd < 0 || sport + s > 65535) {
			perror("flowgen: socket");
			return 1;
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		set_port(&bindaddr, sport + s);
		if (bind(fd, (struct sockaddr *)&bindaddr, blen) < 0) {
			fprintf(stderr, "flowgen: bind to port %d: %s\n", sport + s, strerror(errno));
			return 1;
		}
		/* this socket's flows: every destination port once */
		for (int p = 0; p < span && sent < count;) {
			struct mmsghdr m[BATCH];
			struct iovec iov[BATCH];
			struct sockaddr_storage to[BATCH];
			char byte = 'x';
			int n = 0;

			while (n < BATCH && p + n < span && sent + n < count) {
				to[n] = dst;
				set_port(&to[n], lo + p + n);
				iov[n].iov_base = &byte;
				iov[n].iov_len = 1;
				memset(&m[n], 0, sizeof(m[n]));
				m[n].msg_hdr.msg_name = &to[n];
				m[n].msg_hdr.msg_namelen = dlen;
				m[n].msg_hdr.msg_iov = &iov[n];
				m[n].msg_hdr.msg_iovlen = 1;
				n++;
			}
			int r = sendmmsg(fd, m, (unsigned)n, 0);
			if (r < 0) {
				if (errno == EINTR || errno == ENOBUFS || errno == EAGAIN ||
				    errno == ECONNREFUSED)
					continue; /* an ICMP error from an earlier datagram: retry */
				perror("flowgen: sendmmsg");
				return 1;
			}
			p += r;
			sent += r;
		}
		close(fd);
	}
	double ms = now_ms() - t0;
	printf("sent %ld flows in %.1f ms (%.0f flows/s)\n", sent, ms, ms > 0 ? sent * 1e3 / ms : 0);
	return 0;
}
