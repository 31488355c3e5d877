// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Privilege separation, who to become and the capability drop
 * (dbus-broker's sequence: capng_clear, capng_update for the helper only,
 * capng_change_id with CAPNG_DROP_SUPP_GRP and CAPNG_CLEAR_BOUNDING; then
 * no ambient capabilities and no_new_privs). The main process drops to
 * nothing (psep_drop), the helper to CAP_NET_ADMIN (psep_drop_to).
 */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cap-ng.h>

#include "vigil/num.h"
#include "vigil/psep.h"
#include "psep_int.h"

int psep_resolve_user(const char *name, struct psep_ids *ids, char *why, size_t whylen)
{
	struct passwd *pw = NULL;

	memset(ids, 0, sizeof(*ids));
	if (geteuid() != 0) {
		/* not root: nothing to switch to; we keep who we are */
		ids->uid = getuid();
		ids->gid = getgid();
		pw = getpwuid(ids->uid);
		snprintf(ids->name, sizeof(ids->name), "%s", pw ? pw->pw_name : "?");
		return 0;
	}
	if (name) {
		pw = getpwnam(name);
		/* a numeric user id, as setpriv and systemd take them; checked:
		 * 4294967296 must not wrap to 0, nor (uid_t)-1 name anybody */
		uint64_t uid;
		if (!pw && num_parse_unit(name, NULL, 0, (uid_t)-2, &uid) == 0)
			pw = getpwuid((uid_t)uid);
		if (!pw) {
			snprintf(why, whylen, "unknown user '%s' (--user)", name);
			return -ENOENT;
		}
	} else {
		pw = getpwnam("vigil");
		if (!pw)
			pw = getpwnam("nobody");
		if (!pw) {
			snprintf(why, whylen, "neither user 'vigil' nor 'nobody' exists; use --user");
			return -ENOENT;
		}
	}
	if (pw->pw_uid == 0) {
		snprintf(why, whylen, "user '%s' is root: choose an unprivileged user", pw->pw_name);
		return -EINVAL;
	}
	ids->uid = pw->pw_uid;
	ids->gid = pw->pw_gid;
	snprintf(ids->name, sizeof(ids->name), "%s", pw->pw_name);
	return 0;
}

bool psep_can_admin(void)
{
	capng_get_caps_process();
	return capng_have_capability(CAPNG_EFFECTIVE, CAP_NET_ADMIN) ||
	       capng_have_capability(CAPNG_PERMITTED, CAP_NET_ADMIN);
}

int psep_drop_to(int keep, const struct psep_ids *ids, char *why, size_t whylen)
{
	bool can_setpcap, can_setid, change_id;
	int flags = CAPNG_DROP_SUPP_GRP, r;

	capng_get_caps_process();
	can_setpcap = capng_have_capability(CAPNG_EFFECTIVE, CAP_SETPCAP);
	can_setid = capng_have_capability(CAPNG_EFFECTIVE, CAP_SETUID) &&
		    capng_have_capability(CAPNG_EFFECTIVE, CAP_SETGID);
	change_id = ids->uid != getuid() || ids->uid != geteuid() || ids->gid != getgid();

	capng_clear(CAPNG_SELECT_BOTH);
	if (keep >= 0)
		capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED, (unsigned)keep);
	if (can_setpcap)
		flags |= CAPNG_CLEAR_BOUNDING;
	if (change_id) {
		if (!can_setid) {
			snprintf(why, whylen,
				 "cannot switch to user %s: that needs CAP_SETUID and CAP_SETGID (run as root, or as that user with CAP_NET_ADMIN)",
				 ids->name);
			return -EPERM;
		}
		r = capng_change_id((int)ids->uid, (int)ids->gid, flags);
		if (r < 0) {
			snprintf(why, whylen, "cannot switch to user %s (capng_change_id: %d)", ids->name, r);
			return -EPERM;
		}
	} else {
		if (can_setpcap) {
			/* no id change: clear the bounding set ourselves */
			for (unsigned c = 0; c <= CAP_LAST_CAP; c++)
				prctl(PR_CAPBSET_DROP, c, 0, 0, 0);
		}
		r = capng_apply(CAPNG_SELECT_CAPS);
		if (r < 0) {
			snprintf(why, whylen, "cannot drop capabilities (capng_apply: %d)", r);
			return -EPERM;
		}
	}
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		snprintf(why, whylen, "cannot set no_new_privs: %s", strerror(errno));
		return -errno;
	}

	/* trust, but verify */
	capng_get_caps_process();
	for (unsigned c = 0; c <= CAP_LAST_CAP; c++) {
		bool want = keep >= 0 && c == (unsigned)keep;
		if (capng_have_capability(CAPNG_EFFECTIVE, c) != want ||
		    capng_have_capability(CAPNG_PERMITTED, c) != want) {
			snprintf(why, whylen, "capability %u %s after the drop", c,
				 want ? "missing" : "still held");
			return -EPERM;
		}
	}
	if (getuid() != ids->uid || geteuid() != ids->uid || getgid() != ids->gid) {
		snprintf(why, whylen, "still running as uid %u, not %u", (unsigned)geteuid(),
			 (unsigned)ids->uid);
		return -EPERM;
	}
	return 0;
}

int psep_drop(const struct psep_ids *ids, char *why, size_t whylen)
{
	/* nothing of this process is worth a core dump or a ptrace attach by
	 * the user we become (it holds the helper's socket) */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	return psep_drop_to(-1, ids, why, whylen);
}
