// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * icmpprobe: one ICMP or ICMPv6 echo request, for tests/netns/explain.sh
 * (not installed; the test machines have no ping).
 *
 *   icmpprobe [--src ADDR] ADDR TIMEOUT_MS
 *	Sends an echo request from a raw socket and waits for its reply.
 *	Prints one line "RESULT MS VIA" as nettool probe does: echoed (exit
 *	0), or unreachable (an ICMP error about our request: VIA icmp/T/C or
 *	icmp6/T/C), local (our own stack refused to send: EPERM from an
 *	output drop) or timeout (exit 1). Exit 2 on a usage or local error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint16_t csum(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (n & 1)
		s += (uint32_t)b[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return htons((uint16_t)~s);
}

/* Parses addr into ss; returns its family or -1. */
static int parse(const char *a, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, a, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		*len = sizeof(*s4);
		return AF_INET;
	}
	if (inet_pton(AF_INET6, a, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		*len = sizeof(*s6);
		return AF_INET6;
	}
	return -1;
}

/*
 * What a received datagram says about our request id: 1 our echo reply,
 * 2 an error about it (*type, *code), 0 something else. IPv4 raw sockets
 * deliver the IP header, IPv6 ones start at the ICMPv6 header.
 */
static int classify(int fam, const uint8_t *b, size_t n, uint16_t id, int *type, int *code)
{
	size_t off = 0;

	if (fam == AF_INET) {
		if (n < 20)
			return 0;
		off = (size_t)(b[0] & 0xf) * 4;
	}
	if (n < off + 8)
		return 0;
	*type = b[off];
	*code = b[off + 1];
	if ((fam == AF_INET && *type == ICMP_ECHOREPLY) || (fam == AF_INET6 && *type == ICMP6_ECHO_REPLY))
		return memcmp(b + off + 4, &id, 2) == 0;
	if ((fam == AF_INET && *type == ICMP_ECHO) || (fam == AF_INET6 && *type == ICMP6_ECHO_REQUEST))
		return 0;
	/* an error quotes our packet: its IP header, then our echo header */
	off += 8;
	if (fam == AF_INET) {
		if (n < off + 20)
			return 0;
		off += (size_t)(b[off] & 0xf) * 4;
	} else {
		off += 40;
	}
	return n >= off + 8 && memcmp(b + off + 4, &id, 2) == 0 ? 2 : 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_storage dst, src;
	socklen_t dlen, slen;
	const char *srcarg = NULL;
	uint8_t pkt[64] = { 0 }, buf[2048];
	uint16_t id = htons((uint16_t)(getpid() & 0xffff));
	long t0, tmo;
	int fam, fd, type = 0, code = 0;

	if (argc == 5 && strcmp(argv[1], "--src") == 0) {
		srcarg = argv[2];
		argv += 2;
		argc -= 2;
	}
	if (argc != 3 || (fam = parse(argv[1], &dst, &dlen)) < 0 || (tmo = atol(argv[2])) <= 0) {
		fprintf(stderr, "usage: icmpprobe [--src ADDR] ADDR TIMEOUT_MS\n");
		return 2;
	}
	fd = socket(fam, SOCK_RAW | SOCK_CLOEXEC, fam == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6);
	if (fd < 0 || (srcarg && (parse(srcarg, &src, &slen) != fam ||
				  bind(fd, (struct sockaddr *)&src, slen) < 0))) {
		perror("icmpprobe: socket/bind");
		return 2;
	}
	pkt[0] = fam == AF_INET ? ICMP_ECHO : ICMP6_ECHO_REQUEST;
	memcpy(pkt + 4, &id, 2);
	pkt[7] = 1;
	memcpy(pkt + 8, "vigil-explain", 13);
	if (fam == AF_INET) {
		uint16_t c = csum(pkt, sizeof(pkt));
		memcpy(pkt + 2, &c, 2);
	} /* ICMPv6: the kernel fills the checksum of raw ICMPv6 sockets */
	t0 = now_ms();
	if (sendto(fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&dst, dlen) < 0) {
		printf("%s %ld local\n", errno == EPERM ? "local" : "unreachable", now_ms() - t0);
		return 1;
	}
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		long left = tmo - (now_ms() - t0);
		ssize_t n;
		int r;

		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			break;
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0)
			break;
		r = classify(fam, buf, (size_t)n, id, &type, &code);
		if (r == 1) {
			printf("echoed %ld -\n", now_ms() - t0);
			return 0;
		}
		if (r == 2) {
			printf("unreachable %ld %s/%d/%d\n", now_ms() - t0,
			       fam == AF_INET ? "icmp" : "icmp6", type, code);
			return 1;
		}
	}
	printf("timeout %ld -\n", now_ms() - t0);
	return 1;
}
