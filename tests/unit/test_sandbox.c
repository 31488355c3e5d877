// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The unprivileged main process's confinement (issue 14 point 8), in a
 * child of each test: sandbox_main's seccomp list (what fails with EPERM,
 * what kills), sandbox_landlock (no file made outside the directories
 * named, where the kernel has Landlock) and sandbox_landlock_reads (no
 * file read, no directory listed outside the directories named, though
 * the modes allow it).
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
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "unit.h"
#include "vigil/sandbox.h"

/* Runs fn in a confined grandchild: its wait status. */
static int in_child(void (*fn)(void))
{
	int st = 0;
	pid_t p = fork();

	ck_assert_int_ge(p, 0);
	if (p == 0) {
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || sandbox_main() < 0)
			_exit(99);
		fn();
		_exit(0);
	}
	ck_assert_int_eq(waitpid(p, &st, 0), p);
	return st;
}

static void do_exec(void)
{
	char *argv[] = { (char *)"/bin/true", NULL };
	execve(argv[0], argv, NULL);
}
static void do_inet(void) { socket(AF_INET, SOCK_STREAM, 0); }
static void do_netlink(void) { socket(AF_NETLINK, SOCK_RAW, 0); }
static void do_ptrace(void) { ptrace(PTRACE_TRACEME, 0, NULL, NULL); }

START_TEST(what_kills)
{
	void (*fns[])(void) = { do_exec, do_inet, do_netlink, do_ptrace };
	const char *names[] = { "execve", "socket(AF_INET)", "socket(AF_NETLINK)", "ptrace" };

	for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {
		int st = in_child(fns[i]);
		ck_assert_msg(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS,
			      "%s: status %#x, not killed by SIGSYS", names[i], st);
	}
}
END_TEST

/* Exit codes of the confined child: 0, or the number of the step that
 * went wrong (Check's own reporting needs calls the filter refuses). */
static void fails_and_works(void)
{
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	void *m;

	if (fd < 0)
		_exit(1); /* sd_notify's unix datagram socket */
	close(fd);
	errno = 0;
	if (socket(AF_UNIX, SOCK_STREAM, 0) >= 0 || errno != EPERM)
		_exit(2);
	if (mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) != MAP_FAILED)
		_exit(3);
	m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		_exit(4);
	if (mprotect(m, 4096, PROT_READ | PROT_EXEC) == 0)
		_exit(5);
	errno = 0;
	if (chown("/", 0, 0) == 0 || errno != EPERM) /* not listed: EPERM */
		_exit(6);
}

START_TEST(what_fails_and_what_works)
{
	int st = in_child(fails_and_works);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %#x (step %d)", st,
		      WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}
END_TEST

static char in[] = "/tmp/vigil-ll-in.XXXXXX", out[] = "/tmp/vigil-ll-out.XXXXXX";

static void landlocked(void)
{
	char why[256] = "", p[64], q[64];
	const char *rw[] = { in };
	int r = sandbox_landlock(rw, 1, why, sizeof(why)), fd;

	if (r == 1)
		_exit(77); /* no Landlock in this kernel */
	if (r != 0)
		_exit(1);
	snprintf(p, sizeof(p), "%s/f", in);
	snprintf(q, sizeof(q), "%s/f", out);
	fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0)
		_exit(2); /* beneath the writable directory */
	close(fd);
	if (unlink(p) < 0)
		_exit(3);
	fd = open(q, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd >= 0 || errno != EACCES)
		_exit(4); /* outside: EACCES, though the mode allows it */
}

START_TEST(landlock_writes_only_beneath)
{
	int st;

	ck_assert_ptr_nonnull(mkdtemp(in));
	ck_assert_ptr_nonnull(mkdtemp(out));
	st = in_child(landlocked);
	rmdir(in);
	rmdir(out);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 77)
		return;
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %#x (step %d)", st,
		      WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}
END_TEST

static char rin[] = "/tmp/vigil-lr-in.XXXXXX", rout[] = "/tmp/vigil-lr-out.XXXXXX";

static bool readable(const char *path)
{
	char c;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	bool ok = fd >= 0 && read(fd, &c, 1) == 1;

	if (fd >= 0)
		close(fd);
	return ok;
}

static void read_confined(void)
{
	char why[256] = "", p[64], q[64];
	const char *ro[] = { rin, NULL, "/nonexistent/vigil-dir" };
	int r, fd;

	snprintf(p, sizeof(p), "%s/f", rin);
	snprintf(q, sizeof(q), "%s/f", rout);
	if (!readable(p) || !readable(q))
		_exit(1); /* both readable before */
	r = sandbox_landlock_reads(ro, 3, why, sizeof(why));
	if (r == 1)
		_exit(77);
	if (r != 0)
		_exit(2);
	if (!readable(p))
		_exit(3); /* beneath the directory named */
	errno = 0;
	fd = open(q, O_RDONLY | O_CLOEXEC);
	if (fd >= 0 || errno != EACCES)
		_exit(4); /* outside: EACCES, though the mode allows it */
	fd = open(rout, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0 || errno != EACCES)
		_exit(5); /* nor listed */
	if (!readable("/proc/self/status"))
		_exit(6); /* /proc stays readable */
	fd = open("/etc/passwd", O_RDONLY | O_CLOEXEC);
	if (fd >= 0 || errno != EACCES)
		_exit(7);
	fd = open(rout, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		_exit(8); /* a path is not a read: stat and O_PATH still work */
	close(fd);
}

static void make_file(const char *dir)
{
	char p[64];
	int fd;

	snprintf(p, sizeof(p), "%s/f", dir);
	fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "x\n", 2), 2);
	close(fd);
}

static void remove_file(const char *dir)
{
	char p[64];

	snprintf(p, sizeof(p), "%s/f", dir);
	unlink(p);
	rmdir(dir);
}

START_TEST(landlock_reads_only_beneath)
{
	int st;

	ck_assert_ptr_nonnull(mkdtemp(rin));
	ck_assert_ptr_nonnull(mkdtemp(rout));
	make_file(rin);
	make_file(rout);
	st = in_child(read_confined);
	remove_file(rin);
	remove_file(rout);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 77)
		return;
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %#x (step %d)", st,
		      WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("sandbox");
	TCase *tc = tcase_create("main");

	tcase_add_test(tc, what_kills);
	tcase_add_test(tc, what_fails_and_what_works);
	tcase_add_test(tc, landlock_writes_only_beneath);
	tcase_add_test(tc, landlock_reads_only_beneath);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_run(suite());
}
