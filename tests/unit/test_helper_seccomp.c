// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The commit helper's seccomp filter (sandbox_helper, issue 14 point 8),
 * in a child of each test that holds what the helper holds: a socketpair
 * end, a NETLINK_NETFILTER socket, stderr, and for a rollback guard a run
 * directory and a log descriptor. What the helper does works; the same
 * call on another descriptor, with another option or flag, or a call it
 * never makes, kills the child (SIGSYS).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/netlink.h>

#include "unit.h"
#include "vigil/sandbox.h"

/* Ends a confined child with status n: exit_group itself, and not
 * declared noreturn (under AddressSanitizer a call of a noreturn function
 * first asks sigaltstack, and _exit runs the leak check: calls the
 * helper's filter does not allow). */
static void quit(int n)
{
	syscall(SYS_exit_group, n);
}

static char rundir[] = "/tmp/vigil-helper-sc.XXXXXX";

/* What the child holds once confined. */
static struct sandbox_helper_fds F;
static int other_fd; /* a pipe's write end: the helper has no such thing */

/* Runs fn in a child confined as a helper (a guard when guard): its wait
 * status. */
static int in_helper(void (*fn)(void), bool guard)
{
	int st = 0;
	pid_t p = fork();

	ck_assert_int_ge(p, 0);
	if (p == 0) {
		int sv[2], pfd[2];

		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0 ||
		    pipe2(pfd, O_CLOEXEC) < 0)
			_exit(98);
		F.peer = sv[0];
		F.nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_NETFILTER);
		F.runfd = guard ? open(rundir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
		F.logfd = guard ? fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3) : -1;
		other_fd = pfd[1];
		if (F.nl < 0 || (guard && (F.runfd < 0 || F.logfd < 0)) ||
		    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || sandbox_helper(&F, guard) < 0)
			_exit(99);
		fn();
		quit(0);
	}
	ck_assert_int_eq(waitpid(p, &st, 0), p);
	return st;
}

static void killed(void (*fn)(void), bool guard, const char *what)
{
	int st = in_helper(fn, guard);

	ck_assert_msg(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS,
		      "%s: status %#x, not killed by SIGSYS", what, st);
}

static void works(void (*fn)(void), bool guard)
{
	int st = in_helper(fn, guard);

	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %#x (step %d)", st,
		      WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

/* ---- what a helper does ---- */

static void helper_calls(void)
{
	int sz = 1 << 20;
	char c = 'x';
	struct nlmsghdr nh = { .nlmsg_len = sizeof(nh), .nlmsg_type = NLMSG_NOOP };
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct iovec iov = { &nh, sizeof(nh) };
	struct msghdr mh = { .msg_name = &sa, .msg_namelen = sizeof(sa), .msg_iov = &iov, .msg_iovlen = 1 };
	char buf[256];
	void *m;

	if (setsockopt(F.nl, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz)) < 0)
		quit(1);
	/* (EPERM unprivileged: allowed by the filter, refused by the kernel) */
	if (setsockopt(F.nl, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)) < 0 && errno != EPERM)
		quit(2);
	if (write(F.peer, &c, 1) != 1 || write(STDERR_FILENO, "", 0) != 0)
		quit(3);
	if (sendto(F.nl, &nh, sizeof(nh), 0, NULL, 0) < 0 || sendmsg(F.nl, &mh, 0) < 0)
		quit(4);
	if (recvfrom(F.nl, buf, sizeof(buf), MSG_DONTWAIT, NULL, NULL) < 0 && errno != EAGAIN)
		quit(5);
	if (read(F.peer, buf, 0) != 0)
		quit(6);
	m = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		quit(7);
	m = mremap(m, 1 << 20, 4 << 20, MREMAP_MAYMOVE);
	if (m == MAP_FAILED || munmap(m, 4 << 20) < 0)
		quit(8);
	if (getpid() <= 0)
		quit(9);
}

START_TEST(a_helper_works)
{
	works(helper_calls, false);
	works(helper_calls, true);
}
END_TEST

/* ---- the same calls, elsewhere ---- */

static int sz = 1 << 20;
static void so_peer(void) { setsockopt(F.peer, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz)); }
static void so_rcvbuf(void) { setsockopt(F.nl, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz)); }
static void so_member(void) { setsockopt(F.nl, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &sz, sizeof(sz)); }
static void do_bind(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	bind(F.nl, (struct sockaddr *)&sa, sizeof(sa));
}
static void do_connect(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	connect(F.nl, (struct sockaddr *)&sa, sizeof(sa));
}
static void do_socket(void) { socket(AF_NETLINK, SOCK_RAW, NETLINK_NETFILTER); }
static void read_nl(void) { char b[16]; (void)!read(F.nl, b, sizeof(b)); }
static void write_other(void) { (void)!write(other_fd, "x", 1); }
static void sendto_peer(void) { sendto(F.peer, "x", 1, 0, NULL, 0); }
static void recvmsg_nl(void)
{
	char b[16];
	struct iovec iov = { b, sizeof(b) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	recvmsg(F.nl, &mh, MSG_DONTWAIT);
}
static void map_exec(void) { mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0); }
static void map_file(void) { mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, F.peer, 0); }
static void do_openat(void) { openat(AT_FDCWD, "/etc/passwd", O_RDONLY | O_CLOEXEC); }
static void do_close(void) { close(other_fd); }
static void do_setsid(void) { setsid(); }

START_TEST(elsewhere_kills)
{
	static const struct {
		void (*fn)(void);
		const char *what;
	} v[] = {
		{ so_peer, "setsockopt of the socketpair" },
		{ so_rcvbuf, "setsockopt(SO_RCVBUF)" },
		{ so_member, "setsockopt(SOL_NETLINK, NETLINK_ADD_MEMBERSHIP)" },
		{ do_bind, "bind" },
		{ do_connect, "connect" },
		{ do_socket, "socket" },
		{ read_nl, "read of the netlink socket" },
		{ write_other, "write to another descriptor" },
		{ sendto_peer, "sendto on the socketpair" },
		{ recvmsg_nl, "recvmsg" },
		{ map_exec, "mmap PROT_EXEC" },
		{ map_file, "mmap of a descriptor" },
		{ do_openat, "openat" },
		{ do_close, "close (not a guard)" },
		{ do_setsid, "setsid (not a guard)" },
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		killed(v[i].fn, false, v[i].what);
}
END_TEST

/* ---- a rollback guard ---- */

static void guard_calls(void)
{
	sigset_t ss;
	struct timespec ts = { 0, 1000000 };
	siginfo_t si;
	int fd;

	sigemptyset(&ss);
	sigaddset(&ss, SIGUSR1);
	if (sigprocmask(SIG_BLOCK, &ss, NULL) < 0 || sigtimedwait(&ss, &si, &ts) != -1 || errno != EAGAIN)
		quit(1);
	if (setsid() < 0 || prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0) < 0)
		quit(2);
	if (dup2(F.logfd, STDERR_FILENO) != STDERR_FILENO || close(F.logfd) < 0)
		quit(3);
	fd = openat(F.runfd, "out.tmp", O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0640);
	if (fd < 0 || write(fd, "x\n", 2) != 2 || close(fd) < 0)
		quit(4);
	if (renameat(F.runfd, "out.tmp", F.runfd, "out") < 0 || unlinkat(F.runfd, "out", 0) < 0)
		quit(5);
	if (usleep(1000) < 0)
		quit(6);
	if (write(other_fd, "x", 1) != 1)
		quit(7); /* its outcome file's descriptor is not known in advance */
}

static void open_cwd(void) { openat(AT_FDCWD, "x", O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0640); }
static void open_read(void) { openat(F.runfd, "x", O_RDONLY | O_NOFOLLOW | O_CLOEXEC); }
static void open_follow(void) { openat(F.runfd, "x", O_WRONLY | O_CREAT | O_CLOEXEC, 0640); }
static void rename_out(void) { renameat(F.runfd, "x", AT_FDCWD, "/tmp/x"); }
static void unlink_dir(void) { unlinkat(F.runfd, "x", AT_REMOVEDIR); }
static void deathsig(void) { prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0); }
static void prctl_name(void) { prctl(PR_SET_NAME, "x", 0, 0, 0); }
static void dup_other(void) { dup2(other_fd, STDERR_FILENO); }

START_TEST(a_guard_works_and_only_there)
{
	static const struct {
		void (*fn)(void);
		const char *what;
	} v[] = {
		{ open_cwd, "openat outside the run directory" },
		{ open_read, "openat to read" },
		{ open_follow, "openat without O_NOFOLLOW" },
		{ rename_out, "renameat out of the run directory" },
		{ unlink_dir, "unlinkat(AT_REMOVEDIR)" },
		{ deathsig, "prctl(PR_SET_PDEATHSIG, SIGKILL)" },
		{ prctl_name, "prctl(PR_SET_NAME)" },
		{ dup_other, "dup2 of another descriptor" },
	};

	works(guard_calls, true);
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		killed(v[i].fn, true, v[i].what);
	killed(guard_calls, false, "a guard's calls in a helper that is not one");
}
END_TEST

START_TEST(bad_descriptors_refused)
{
	struct sandbox_helper_fds f = { 3, -1, -1, -1 };

	ck_assert_int_eq(sandbox_helper(&f, false), -EBADF);
	f.nl = 4;
	ck_assert_int_eq(sandbox_helper(&f, true), -EBADF); /* a guard without its directory */
}
END_TEST

static void setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(rundir));
}

static void teardown(void)
{
	char p[64];

	snprintf(p, sizeof(p), "%s/out", rundir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/out.tmp", rundir);
	unlink(p);
	rmdir(rundir);
	memcpy(rundir + strlen(rundir) - 6, "XXXXXX", 6);
}

static Suite *suite(void)
{
	Suite *s = suite_create("helper_seccomp");
	TCase *tc = tcase_create("main");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, a_helper_works);
	tcase_add_test(tc, elsewhere_kills);
	tcase_add_test(tc, a_guard_works_and_only_there);
	tcase_add_test(tc, bad_descriptors_refused);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_run(suite());
}
