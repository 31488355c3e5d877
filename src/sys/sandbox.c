// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The unprivileged main process's seccomp filter: an allow-list of what it
 * does after the privilege drop (read and compile policies, read events
 * from sockets opened before the drop, SQLite, the event loop, the control
 * socket's connections), with the system calls an attacker would want
 * first killing the process outright: execve and execveat, ptrace and the
 * cross-process memory calls, new sockets of any family but AF_UNIX (and
 * of that one only datagram sockets, for sd_notify), mount and friends. Everything else not listed fails with
 * EPERM.
 */
#include <errno.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include <seccomp.h>

#include "vigil/sandbox.h"
#include "vigil/util.h"

static const int allowed[] = {
	/* files: policies, set files, the database, state and status files */
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(readv), SCMP_SYS(writev), SCMP_SYS(pread64),
	SCMP_SYS(pwrite64), SCMP_SYS(preadv), SCMP_SYS(pwritev), SCMP_SYS(lseek), SCMP_SYS(openat),
	SCMP_SYS(open), SCMP_SYS(close), SCMP_SYS(close_range), SCMP_SYS(newfstatat), SCMP_SYS(fstat),
	SCMP_SYS(stat), SCMP_SYS(lstat), SCMP_SYS(statx), SCMP_SYS(fstatfs), SCMP_SYS(statfs),
	SCMP_SYS(fcntl), SCMP_SYS(flock), SCMP_SYS(ftruncate), SCMP_SYS(fsync), SCMP_SYS(fdatasync),
	SCMP_SYS(unlink), SCMP_SYS(unlinkat), SCMP_SYS(rename), SCMP_SYS(renameat),
	SCMP_SYS(renameat2), SCMP_SYS(fchmod), SCMP_SYS(access), SCMP_SYS(faccessat),
	SCMP_SYS(faccessat2), SCMP_SYS(getcwd), SCMP_SYS(readlink), SCMP_SYS(readlinkat),
	SCMP_SYS(getdents64), SCMP_SYS(dup), SCMP_SYS(dup3), SCMP_SYS(pipe2), SCMP_SYS(fallocate),
	/* memory (never executable: see below), threads */
	SCMP_SYS(brk), SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(madvise), SCMP_SYS(futex),
	SCMP_SYS(set_robust_list), SCMP_SYS(rseq), SCMP_SYS(clone3), SCMP_SYS(clone),
	SCMP_SYS(exit), SCMP_SYS(exit_group), SCMP_SYS(sched_yield), SCMP_SYS(sched_getaffinity),
	/* signals and time */
	SCMP_SYS(rt_sigaction), SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigreturn),
	SCMP_SYS(sigaltstack), SCMP_SYS(signalfd4), SCMP_SYS(clock_gettime), SCMP_SYS(clock_getres),
	SCMP_SYS(clock_nanosleep), SCMP_SYS(nanosleep), SCMP_SYS(gettimeofday), SCMP_SYS(time),
	SCMP_SYS(tgkill), SCMP_SYS(getrandom),
	/* the event loop */
	SCMP_SYS(epoll_create1), SCMP_SYS(epoll_ctl), SCMP_SYS(epoll_wait), SCMP_SYS(epoll_pwait),
	SCMP_SYS(poll), SCMP_SYS(ppoll), SCMP_SYS(timerfd_create), SCMP_SYS(timerfd_settime),
	SCMP_SYS(timerfd_gettime), SCMP_SYS(eventfd2), SCMP_SYS(waitid), SCMP_SYS(wait4),
	SCMP_SYS(pidfd_send_signal),
	/* sockets opened before the drop, and the control socket's peers */
	SCMP_SYS(recvfrom), SCMP_SYS(recvmsg), SCMP_SYS(recvmmsg), SCMP_SYS(sendto),
	SCMP_SYS(sendmsg), SCMP_SYS(accept4), SCMP_SYS(shutdown), SCMP_SYS(getsockopt),
	SCMP_SYS(setsockopt), SCMP_SYS(getsockname), SCMP_SYS(getpeername), SCMP_SYS(connect),
	/* who we are */
	SCMP_SYS(getpid), SCMP_SYS(gettid), SCMP_SYS(getppid), SCMP_SYS(getuid), SCMP_SYS(geteuid),
	SCMP_SYS(getgid), SCMP_SYS(getegid), SCMP_SYS(getgroups), SCMP_SYS(uname), SCMP_SYS(capget),
	SCMP_SYS(getrlimit), SCMP_SYS(prlimit64), SCMP_SYS(sysinfo), SCMP_SYS(ioctl),
	/* Landlock's read limit, entered once the policy's set files are known
	 * (a ruleset only takes rights away) */
	SCMP_SYS(landlock_create_ruleset), SCMP_SYS(landlock_add_rule),
	SCMP_SYS(landlock_restrict_self),
};

/* what an attacker would want first: the process dies */
static const int killed[] = {
	SCMP_SYS(execve), SCMP_SYS(execveat), SCMP_SYS(ptrace), SCMP_SYS(process_vm_readv),
	SCMP_SYS(process_vm_writev), SCMP_SYS(mount), SCMP_SYS(umount2), SCMP_SYS(pivot_root),
	SCMP_SYS(chroot), SCMP_SYS(setns), SCMP_SYS(unshare), SCMP_SYS(bpf), SCMP_SYS(kexec_load),
	SCMP_SYS(init_module), SCMP_SYS(finit_module), SCMP_SYS(open_by_handle_at),
	SCMP_SYS(userfaultfd), SCMP_SYS(perf_event_open), SCMP_SYS(keyctl), SCMP_SYS(add_key),
	SCMP_SYS(request_key), SCMP_SYS(io_uring_setup),
};

int sandbox_main(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
	int r = 0;

	if (!ctx)
		return -ENOMEM;
	/* a name this libseccomp does not know (newer than it) is left out */
	for (size_t i = 0; i < ARRAY_SIZE(allowed) && r == 0; i++)
		if (allowed[i] >= 0)
			r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allowed[i], 0);
	for (size_t i = 0; i < ARRAY_SIZE(killed) && r == 0; i++)
		if (killed[i] >= 0)
			r = seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, killed[i], 0);
	/* memory, but never executable (no code from data) */
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
				     SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
				     SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	/* one kind of new socket: the unix datagram of sd_notify and the
	 * journal (a unix stream one, to D-Bus say, fails: EPERM) */
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 2,
				     SCMP_A0(SCMP_CMP_EQ, AF_UNIX),
				     SCMP_A1(SCMP_CMP_MASKED_EQ, 0xf, SOCK_DGRAM));
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, SCMP_SYS(socket), 1,
				     SCMP_A0(SCMP_CMP_NE, AF_UNIX));
	if (r == 0)
		r = seccomp_load(ctx);
	seccomp_release(ctx);
	return r;
}
