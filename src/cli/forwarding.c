// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The forwarding prerequisite of a gateway policy: a policy that forwards
 * or NATs does nothing while the kernel does not route between interfaces
 * (net.ipv4.ip_forward, net.ipv6.conf.all.forwarding: 0 by default, per
 * network namespace). vigild says so; it never changes a sysctl.
 */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static int read_flag(const char *path)
{
	char buf[16] = "";
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	return buf[0] != '0';
}

void cli_forwarding_read(struct cli_forwarding *f)
{
	/* /proc/sys/net shows the namespace of the process that opens it:
	 * this one's, the namespace vigild applies to */
	f->v4 = read_flag("/proc/sys/net/ipv4/ip_forward");
	f->v6 = read_flag("/proc/sys/net/ipv6/conf/all/forwarding");
}

void cli_forwarding_warn(const struct cli_forwarding *f, const struct policy *pol)
{
	char why4[64] = "", why6[64] = "";
	unsigned fams = policy_forward_families(pol, why4, why6);

	if ((fams & 1) && f->v4 == 0)
		cli_warn("%s forwards IPv4, but net.ipv4.ip_forward is 0 in this network namespace: the kernel routes no IPv4 packet between interfaces, so it has no effect; enable it (sysctl -w net.ipv4.ip_forward=1, and a file in /etc/sysctl.d to keep it): vigild does not change sysctls",
			 why4);
	if ((fams & 2) && f->v6 == 0)
		cli_warn("%s forwards IPv6, but net.ipv6.conf.all.forwarding is 0 in this network namespace: the kernel routes no IPv6 packet between interfaces, so it has no effect; enable it (sysctl -w net.ipv6.conf.all.forwarding=1, and a file in /etc/sysctl.d to keep it): vigild does not change sysctls",
			 why6);
}
