// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Landlock for the unprivileged main process (raw system calls: glibc has
 * no wrappers). What it limits is what an attacker holding that process
 * would use to leave a trace outside vigild's own files: writing,
 * creating, renaming, removing and executing files. Those rights are
 * granted only beneath the directories the caller names (the database's,
 * the state and run directories); everywhere else they are refused by the
 * kernel, whatever the file's permissions say.
 *
 * A second ruleset, stacked on the first (sandbox_landlock_reads), limits
 * reading: a watch enters it once it knows its policy's set files, before
 * it reads any of them, so reading files and listing directories is then
 * allowed only beneath the directories it names (the policy's, the set
 * files', the database's, the state and run directories), /proc, and the
 * few files libraries open later (/dev/urandom). Each layer can only take
 * rights away, so the two together are the intersection.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "vigil/log.h"
#include "vigil/sandbox.h"
#include "vigil/util.h"

/* rights newer than the installed header */
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif

/* The rights limited, and the ABI that first knows each. */
static const struct {
	uint64_t right;
	int abi;
} limited[] = {
	{ LANDLOCK_ACCESS_FS_EXECUTE, 1 },     { LANDLOCK_ACCESS_FS_WRITE_FILE, 1 },
	{ LANDLOCK_ACCESS_FS_REMOVE_DIR, 1 },  { LANDLOCK_ACCESS_FS_REMOVE_FILE, 1 },
	{ LANDLOCK_ACCESS_FS_MAKE_CHAR, 1 },   { LANDLOCK_ACCESS_FS_MAKE_DIR, 1 },
	{ LANDLOCK_ACCESS_FS_MAKE_REG, 1 },    { LANDLOCK_ACCESS_FS_MAKE_SOCK, 1 },
	{ LANDLOCK_ACCESS_FS_MAKE_FIFO, 1 },   { LANDLOCK_ACCESS_FS_MAKE_BLOCK, 1 },
	{ LANDLOCK_ACCESS_FS_MAKE_SYM, 1 },    { LANDLOCK_ACCESS_FS_REFER, 2 },
	{ LANDLOCK_ACCESS_FS_TRUNCATE, 3 },
};

/* What beneath a writable directory is granted: everything limited but
 * executing and making devices, FIFOs and symbolic links. */
#define RW_GRANTED                                                                          \
	(LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR |                    \
	 LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_DIR |                     \
	 LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_SOCK |                       \
	 LANDLOCK_ACCESS_FS_REFER | LANDLOCK_ACCESS_FS_TRUNCATE)

/* What a read ruleset limits (ABI 1), and grants beneath a directory;
 * beneath a file only reading it. */
#define READ_HANDLED (LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR)

int sandbox_landlock_abi(void)
{
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	return abi < 0 ? -errno : (int)abi;
}

static int add_path(int ruleset, const char *path, uint64_t allowed, int oflags)
{
	struct landlock_path_beneath_attr pb = { .allowed_access = allowed };
	int r = 0;

	pb.parent_fd = open(path, O_PATH | O_CLOEXEC | oflags);
	if (pb.parent_fd < 0)
		return -errno;
	if (syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &pb, 0) < 0)
		r = -errno;
	close(pb.parent_fd);
	return r;
}

int sandbox_landlock(const char *const *rw_dirs, size_t n, char *why, size_t whylen)
{
	struct landlock_ruleset_attr attr = { 0 };
	int abi = sandbox_landlock_abi(), ruleset, r = 0;

	if (abi < 0) {
		snprintf(why, whylen, "Landlock is not available (%s): file writes are limited by permissions only",
			 strerror(-abi));
		return 1;
	}
	for (size_t i = 0; i < sizeof(limited) / sizeof(limited[0]); i++)
		if (limited[i].abi <= abi)
			attr.handled_access_fs |= limited[i].right;
	ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
	if (ruleset < 0) {
		snprintf(why, whylen, "cannot make a Landlock ruleset: %s", strerror(errno));
		return -errno;
	}
	for (size_t i = 0; i < n && r == 0; i++) {
		if (!rw_dirs[i])
			continue;
		r = add_path(ruleset, rw_dirs[i], RW_GRANTED & attr.handled_access_fs, O_DIRECTORY);
		if (r == -ENOENT || r == -ENOTDIR || r == -EACCES)
			r = 0; /* a directory that is not there cannot be written to */
		else if (r < 0)
			snprintf(why, whylen, "cannot add %s to the Landlock ruleset: %s", rw_dirs[i],
				 strerror(-r));
	}
	/* (a caller under seccomp has no_new_privs already and may not call
	 * prctl: without it, landlock_restrict_self fails with EPERM) */
	if (r == 0)
		(void)prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	if (r == 0 && syscall(SYS_landlock_restrict_self, ruleset, 0) < 0) {
		r = -errno;
		snprintf(why, whylen, "cannot enter the Landlock ruleset: %s", strerror(-r));
	}
	close(ruleset);
	return r;
}

/* Files opened after the read ruleset is entered by the libraries, not by
 * vigild: SQLite's seed. Missing ones are skipped. */
static const char *const read_files[] = { "/dev/urandom" };

/* Directories every confined process may read beneath: /proc (the process's
 * own entries and fdinfo, libsystemd's boot id, /proc/locks, a rollback
 * guard's /proc/PID/comm; docs/SECURITY.md says why it is whole). */
static const char *const read_dirs_always[] = { "/proc" };

static int add_reads(int ruleset, const char *const *dirs, size_t n, char *why, size_t whylen)
{
	int r = 0;

	for (size_t i = 0; i < n + ARRAY_SIZE(read_dirs_always) && r == 0; i++) {
		const char *dir = i < n ? dirs[i] : read_dirs_always[i - n];
		if (!dir)
			continue;
		r = add_path(ruleset, dir, READ_HANDLED, O_DIRECTORY);
		if (r == -ENOENT || r == -ENOTDIR || r == -EACCES)
			r = 0; /* a directory that is not there, or not ours, cannot be read */
		else if (r < 0)
			snprintf(why, whylen, "cannot add %s to the Landlock ruleset: %s", dir,
				 strerror(-r));
	}
	for (size_t i = 0; i < ARRAY_SIZE(read_files) && r == 0; i++) {
		r = add_path(ruleset, read_files[i], LANDLOCK_ACCESS_FS_READ_FILE, 0);
		if (r == -ENOENT || r == -EACCES)
			r = 0;
		else if (r < 0)
			snprintf(why, whylen, "cannot add %s to the Landlock ruleset: %s", read_files[i],
				 strerror(-r));
	}
	return r;
}

int sandbox_landlock_reads(const char *const *dirs, size_t n, char *why, size_t whylen)
{
	struct landlock_ruleset_attr attr = { .handled_access_fs = READ_HANDLED };
	int abi = sandbox_landlock_abi(), ruleset, r;

	if (abi < 0) {
		snprintf(why, whylen, "Landlock is not available (%s): file reads are limited by permissions only",
			 strerror(-abi));
		return 1;
	}
	ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
	if (ruleset < 0) {
		r = -errno;
		snprintf(why, whylen, "cannot make a Landlock ruleset: %s", strerror(-r));
		return r;
	}
	r = add_reads(ruleset, dirs, n, why, whylen);
	/* no_new_privs: set by psep_drop already (and seccomp may refuse prctl
	 * by then); a caller without it fails just below, with EPERM */
	if (r == 0)
		(void)prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	if (r == 0 && syscall(SYS_landlock_restrict_self, ruleset, 0) < 0) {
		r = -errno;
		snprintf(why, whylen, "cannot enter the Landlock ruleset: %s", strerror(-r));
	}
	close(ruleset);
	return r;
}

/* Each file of the ':'-separated list in the environment variable `var`
 * is opened once confined, to create it (`create`; a file made is removed
 * again) or to read it (nothing is read), and the outcome logged at info.
 * Unset, nothing happens. */
static void probe_files(const char *var, bool create)
{
	const char *env = getenv(var);
	char *list, *save = NULL;

	if (!env || !*env)
		return;
	list = strdup(env);
	for (char *p = list ? strtok_r(list, ":", &save) : NULL; p; p = strtok_r(NULL, ":", &save)) {
		int fd = create ? open(p, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)
				: open(p, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		int e = errno;

		log_info("sandbox probe: %s %s: %s", create ? "creating" : "reading", p,
			 fd >= 0 ? "allowed" : strerror(e));
		if (fd >= 0) {
			close(fd);
			if (create)
				unlink(p);
		}
	}
	free(list);
}

/* A check of the confinement from outside (tests/netns/privileges.sh):
 * VIGIL_SANDBOX_PROBE names files to create once confined. */
void sandbox_probe(void)
{
	probe_files("VIGIL_SANDBOX_PROBE", true);
}

/* The same for reading (VIGIL_SANDBOX_READ_PROBE, tests/netns/sandbox.sh),
 * once the reads are confined. */
void sandbox_probe_reads(void)
{
	probe_files("VIGIL_SANDBOX_READ_PROBE", false);
}
