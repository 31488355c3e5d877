// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * udpflood: new UDP flows for a fixed time, as fast as one core can send.
 *
 *   udpflood [--cpu N] [--sport BASE] [--sockets K] [--dports LO-HI] ADDR MS
 *
 * Every datagram is a new flow: K sockets bound to source ports BASE..
 * BASE+K-1 each send one 1-byte datagram to every destination port
 * LO..HI (default 1024..65535) in turn (sendmmsg, 64 at a time), so no
 * (source port, destination port) pair repeats before K * (HI - LO + 1)
 * datagrams, and
 * conntrack's established shortcut never applies. --cpu pins the sender
 * to one CPU. Runs for MS milliseconds, then prints
 * "sent N datagrams in T s (R/s)"; exits 1 if it had to stop early
 * because every pair was used.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	int cpu = -1, sport = 30000, nsock = 256, i = 1, plo = 1024, phi = 65535;
	struct sockaddr_in dst;
	struct mmsghdr m[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_in to[BATCH];
	char byte = 'x';
	long sent = 0;
	double t0, t1, end;
	int *fds;

	while (i + 1 < argc && argv[i][0] == '-' && argv[i][1] == '-') {
		if (!strcmp(argv[i], "--cpu"))
			cpu = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--sport"))
			sport = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--sockets"))
			nsock = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--dports")) {
			if (sscanf(argv[i + 1], "%d-%d", &plo, &phi) != 2)
				plo = 0; /* refused below */
		} else
			break;
		i += 2;
	}
	memset(&dst, 0, sizeof(dst));
	dst.sin_family = AF_INET;
	if (argc - i != 2 || inet_pton(AF_INET, argv[i], &dst.sin_addr) != 1 || nsock < 1 ||
	    sport < 1 || sport + nsock > 65536 || atoi(argv[i + 1]) < 1 || plo < 1 || phi > 65535 ||
	    plo > phi) {
		fprintf(stderr, "usage: udpflood [--cpu N] [--sport BASE] [--sockets K] [--dports LO-HI] IPV4ADDR MS\n");
		return 2;
	}
	end = atoi(argv[i + 1]) / 1e3;
	if (cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set) < 0) {
			perror("udpflood: sched_setaffinity");
			return 2;
		}
	}
	fds = calloc((size_t)nsock, sizeof(*fds));
	if (!fds)
		return 2;
	for (int s = 0; s < nsock; s++) {
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)(sport + s)) };

		fds[s] = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fds[s] < 0 || bind(fds[s], (struct sockaddr *)&a, sizeof(a)) < 0) {
			fprintf(stderr, "udpflood: socket on port %d: %s\n", sport + s, strerror(errno));
			return 2;
		}
	}
	for (int k = 0; k < BATCH; k++) {
		iov[k].iov_base = &byte;
		iov[k].iov_len = 1;
		to[k] = dst;
		memset(&m[k], 0, sizeof(m[k]));
		m[k].msg_hdr.msg_name = &to[k];
		m[k].msg_hdr.msg_namelen = sizeof(to[k]);
		m[k].msg_hdr.msg_iov = &iov[k];
		m[k].msg_hdr.msg_iovlen = 1;
	}

	int s = 0, port = plo, exhausted = 0;
	t0 = now();
	end += t0;
	for (unsigned long round = 0;; round++) {
		int n = 0;

		if ((round & 15) == 0 && now() >= end)
			break;
		while (n < BATCH && port + n <= phi) {
			to[n].sin_port = htons((uint16_t)(port + n));
			n++;
		}
		int r = sendmmsg(fds[s], m, (unsigned)n, 0);
		if (r < 0) {
			if (errno == EINTR || errno == ENOBUFS || errno == EAGAIN || errno == ECONNREFUSED)
				continue;
			perror("udpflood: sendmmsg");
			return 1;
		}
		sent += r;
		port += r;
		if (port > phi) {
			port = plo;
			if (++s == nsock) {
				exhausted = 1;
				break;
			}
		}
	}
	t1 = now();
	printf("sent %ld datagrams in %.3f s (%.0f/s)%s\n", sent, t1 - t0, sent / (t1 - t0),
	       exhausted ? " (stopped early: every port pair used)" : "");
	return exhausted;
}
