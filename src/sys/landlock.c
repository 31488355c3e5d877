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
 * Reading is not limited by Landlock: 'vigild apply --confirm' hands a
 * running watch a policy by absolute path anywhere, and a reload may name
 * set files in directories the first policy did not use. Reads stay bound
 * by the service user's file permissions and by read_file_at's refusal of
 * anything but regular files off /proc and /sys (docs/SECURITY.md).
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

int sandbox_landlock_abi(void)
{
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	return abi < 0 ? -errno : (int)abi;
}

static int add_dir(int ruleset, const char *dir, uint64_t handled)
{
	struct landlock_path_beneath_attr pb = { .allowed_access = RW_GRANTED & handled };
	int r = 0;

	pb.parent_fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
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
		r = add_dir(ruleset, rw_dirs[i], attr.handled_access_fs);
		if (r == -ENOENT || r == -ENOTDIR || r == -EACCES)
			r = 0; /* a directory that is not there cannot be written to */
		else if (r < 0)
			snprintf(why, whylen, "cannot add %s to the Landlock ruleset: %s", rw_dirs[i],
				 strerror(-r));
	}
	if (r == 0 && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		r = -errno;
	if (r == 0 && syscall(SYS_landlock_restrict_self, ruleset, 0) < 0) {
		r = -errno;
		snprintf(why, whylen, "cannot enter the Landlock ruleset: %s", strerror(-r));
	}
	close(ruleset);
	return r;
}

/*
 * A check of the confinement from outside (tests/netns/privileges.sh):
 * VIGIL_SANDBOX_PROBE names files, separated by ':', that the process tries
 * to create once confined; each outcome is logged at info, and a file made
 * is removed again. Unset, nothing happens.
 */
void sandbox_probe(void)
{
	const char *env = getenv("VIGIL_SANDBOX_PROBE");
	char *list, *save = NULL;

	if (!env || !*env)
		return;
	list = strdup(env);
	for (char *p = list ? strtok_r(list, ":", &save) : NULL; p; p = strtok_r(NULL, ":", &save)) {
		int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		int e = errno;

		log_info("sandbox probe: creating %s: %s", p, fd >= 0 ? "allowed" : strerror(e));
		if (fd >= 0) {
			close(fd);
			unlink(p);
		}
	}
	free(list);
}
