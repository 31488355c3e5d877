/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_STATE_H
#define VIGIL_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * vigild's directories and the files in them, without races: a directory
 * is made with mkdirat, opened with O_DIRECTORY|O_NOFOLLOW and checked
 * (fstat) and given away (fchown) through its descriptor, so a symbolic
 * link swapped in between cannot redirect it; files are written whole
 * (temporary file, fsync, rename, fsync of the directory).
 *
 *   state dir (VIGIL_STATE_DIR, default /var/lib/vigil): the flows
 *     database, the last-known-good policy; survives reboots.
 *   run dir (VIGIL_RUN_DIR, default /run/vigil): locks, the status
 *     snapshot, a pending confirmation, the control socket.
 */
#define STATE_DIR_DEFAULT "/var/lib/vigil"
#define RUN_DIR_DEFAULT "/run/vigil"
/* the largest request body the control socket takes (413 beyond) */
#define CTL_BODY_MAX (16u << 20)

/* The directory to use: the environment's override, else the default. */
const char *state_dir_path(void);
const char *run_dir_path(void);

/*
 * Opens directory path (creating it with mode, owned by uid:gid, when
 * create and it is missing). Refuses a directory that is not owned by root
 * or uid, or that others may write to, and a parent that anyone but root
 * or uid may write to. Returns the O_DIRECTORY fd, or -errno with why.
 */
int state_dir_open(const char *path, uid_t uid, gid_t gid, mode_t mode, bool create, char *why,
		   size_t whylen);

/* Writes name in dirfd atomically with mode; 0 or -errno. */
int state_write(int dirfd, const char *name, const void *buf, size_t len, mode_t mode);
/* Reads name (regular files only, at most max bytes); 0, -ENOENT, -errno. */
int state_read(int dirfd, const char *name, size_t max, char **buf, size_t *len);
/* Removes name; missing is fine. */
int state_unlink(int dirfd, const char *name);

/* This network namespace's identity: the inode of /proc/self/ns/net. */
uint64_t state_netns_id(void);
/* "NAME.NSID.TABLE" into buf: files of one table in one namespace. */
void state_key(char *buf, size_t len, const char *name, const char *table);

/*
 * One writer per table: an exclusive flock on RUN/lock.NSID.TABLE, held as
 * long as the descriptor is open, with the holder's pid inside. Returns the
 * fd, -EWOULDBLOCK (*holder = the pid holding it, 0 if unknown), or -errno.
 */
int state_lock_table(int rundirfd, const char *table, pid_t *holder);
/* Who holds the lock now (0: nobody). */
pid_t state_lock_holder(int rundirfd, const char *table);

/* The tables of this namespace whose lock is held now, and by whom (read
 * while privileged: the one-shot verbs learn their table only later). */
struct state_held {
	char table[64];
	pid_t pid;
};
size_t state_held_locks(int rundirfd, struct state_held *out, size_t max);

#endif
