// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * End-to-end check of the privilege separation, run as root inside a
 * throwaway network namespace by run.sh. Uses vigild's own code: starts the
 * commit helper, drops privileges like `vigild apply` does, then checks the
 * capability state of both processes, that the main process cannot write
 * nf_tables itself, that the helper refuses a batch for another table and
 * an out-of-vocabulary request, and that it commits a good batch. TAP.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vigil/ir.h"
#include "vigil/nftc.h"
#include "vigil/nl.h"
#include "vigil/psep.h"
#include "vigil/psep_proto.h"

static int n;
static int failed;

static void ok(bool cond, const char *what, const char *detail)
{
	n++;
	if (!cond)
		failed++;
	printf("%sok %d - %s%s%s\n", cond ? "" : "not ", n, what, detail && *detail ? ": " : "",
	       detail ? detail : "");
	fflush(stdout);
}

/* A field of /proc/PID/status, as a string. */
static int status_field(pid_t pid, const char *key, char *out, size_t len)
{
	char path[64], line[256];
	size_t kl = strlen(key);
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, kl) && line[kl] == ':') {
			char *v = line + kl + 1;
			while (*v == ' ' || *v == '\t')
				v++;
			v[strcspn(v, "\n")] = '\0';
			snprintf(out, len, "%s", v);
			fclose(f);
			return 0;
		}
	}
	fclose(f);
	return -ENOENT;
}

static uint64_t hexfield(pid_t pid, const char *key)
{
	char v[64] = "";
	status_field(pid, key, v, sizeof(v));
	return strtoull(v, NULL, 16);
}

static bool uids_not_root(pid_t pid)
{
	char v[128] = "";
	unsigned a, b, c, d;
	status_field(pid, "Uid", v, sizeof(v));
	return sscanf(v, "%u %u %u %u", &a, &b, &c, &d) == 4 && a && b && c && d;
}

static void compile(const char *table, struct batch *b)
{
	char yaml[256];
	struct policy pol;
	struct diags d = { 0 };
	struct ir_table t;

	snprintf(yaml, sizeof(yaml),
		 "version: 1\ntable: %s\nrules:\n  - {name: ssh, chain: input, proto: tcp, dport: 22, action: accept}\n",
		 table);
	if (policy_compile_buffer("probe.yml", yaml, strlen(yaml), NULL, &pol, &d) < 0) {
		fprintf(stderr, "probe: the test policy does not compile\n");
		exit(99);
	}
	ir_compile(&pol, NULL, &t);
	batch_init(b, 1000);
	nftc_build_replace(&t, b);
	ir_table_free(&t);
	policy_free(&pol);
	diags_free(&d);
}

/*
 * `probe read`: a helper of PSEP_MODE_READ (vigild diff) dumps the table
 * but ends at a commit, which it does not send. Prints points 18 and 19.
 */
static int read_mode(void)
{
	struct psep_setup_opts so = { .verb = "probe", .mode = PSEP_MODE_READ, .table = "vigil" };
	struct psep_ids ids;
	struct psep p;
	struct psep_reply rep;
	struct nl_result res = { 0 };
	struct batch good;
	char why[256] = "", detail[300];
	int r = psep_resolve_user(NULL, &ids, why, sizeof(why));

	if (r == 0)
		r = psep_setup(&so, &p, &ids, why, sizeof(why));
	if (r < 0) {
		printf("not ok 18 - a read-only helper starts: %s\nnot ok 19 - (not run)\n", why);
		return 1;
	}
	psep_call(&p, PSEP_REQ_DUMP, NULL, 0, &rep);
	snprintf(detail, sizeof(detail), "status %d, dump status %d, %zu bytes", rep.status,
		 rep.u.dump.status, rep.extra_len);
	ok(rep.status == 0 && rep.u.dump.status == 0 && rep.extra_len > 0,
	   "read-only helper (vigild diff): dumps table vigil", detail);
	psep_reply_free(&rep);
	compile("vigil", &good);
	r = psep_commit(&p, good.buf, good.len, false, &res, why, sizeof(why));
	nl_result_free(&res);
	int st = psep_stop(&p, true);
	snprintf(detail, sizeof(detail), "commit %d (%s), exit status %d", r, why, st);
	ok(r < 0 && st == 3, "read-only helper: a commit ends it, unsent", detail);
	batch_free(&good);
	return failed ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct psep_ids ids;
	struct psep p;
	struct nl nl = { .fd = -1 };
	struct nl_result res = { 0 };
	struct batch good, foreign;
	char why[256] = "", detail[512];
	int r;

	struct psep_setup_opts so = { .verb = "probe", .mode = PSEP_MODE_WATCH, .table = "vigil" };

	/* the helper is an exec of this very binary */
	if (argc >= 2 && strcmp(argv[1], PSEP_HELPER_ARGV) == 0)
		return psep_helper_main(argc, argv);
	if (argc == 2 && strcmp(argv[1], "read") == 0) {
		n = 17;
		return read_mode();
	}
	printf("1..15\n");
	r = psep_resolve_user(NULL, &ids, why, sizeof(why));
	ok(r == 0 && ids.uid != 0, "an unprivileged user to run as", why);
	r = psep_setup(&so, &p, &ids, why, sizeof(why));
	ok(r == 0 && p.pid > 0, "the commit helper starts", why);
	ok(r == 0 && hexfield(getpid(), "CapEff") == 0, "the main process drops its privileges", why);

	/* the main process: nothing */
	snprintf(detail, sizeof(detail), "CapEff=%016" PRIx64 " CapPrm=%016" PRIx64 " CapBnd=%016" PRIx64
		 " CapAmb=%016" PRIx64, hexfield(getpid(), "CapEff"), hexfield(getpid(), "CapPrm"),
		 hexfield(getpid(), "CapBnd"), hexfield(getpid(), "CapAmb"));
	ok(hexfield(getpid(), "CapEff") == 0 && hexfield(getpid(), "CapPrm") == 0 &&
		   hexfield(getpid(), "CapBnd") == 0 && hexfield(getpid(), "CapAmb") == 0,
	   "main: CapEff, CapPrm, CapBnd and CapAmb are all empty", detail);
	ok(uids_not_root(getpid()), "main: runs as a non-root uid", NULL);
	ok(hexfield(getpid(), "NoNewPrivs") == 1, "main: NoNewPrivs is 1", NULL);

	/* the helper: exactly CAP_NET_ADMIN */
	snprintf(detail, sizeof(detail), "CapEff=%016" PRIx64 " CapPrm=%016" PRIx64 " CapBnd=%016" PRIx64,
		 hexfield(p.pid, "CapEff"), hexfield(p.pid, "CapPrm"), hexfield(p.pid, "CapBnd"));
	ok(hexfield(p.pid, "CapEff") == (1ull << 12) && hexfield(p.pid, "CapPrm") == (1ull << 12) &&
		   hexfield(p.pid, "CapBnd") == 0 && hexfield(p.pid, "CapAmb") == 0,
	   "helper: exactly CAP_NET_ADMIN, empty bounding set", detail);
	ok(uids_not_root(p.pid), "helper: runs as a non-root uid", NULL);
	ok(hexfield(p.pid, "NoNewPrivs") == 1 && hexfield(p.pid, "Seccomp") == 2,
	   "helper: NoNewPrivs 1 and Seccomp 2 (filter)", NULL);

	/* the main process cannot write nf_tables itself: its seccomp filter
	 * kills it at the socket() (a child tries, so that we go on) */
	compile("vigil", &good);
	pid_t kid = fork();
	if (kid == 0) {
		r = nl_open(&nl);
		if (r == 0)
			r = nl_send_batch(&nl, good.buf, good.len, &res);
		_exit(r == -EPERM || (r == 0 && res.n > 0 && res.errs[0].error == -EPERM) ? 0 : 1);
	}
	int ws = 0;
	waitpid(kid, &ws, 0);
	snprintf(detail, sizeof(detail), "child status 0x%x", ws);
	ok((WIFSIGNALED(ws) && WTERMSIG(ws) == SIGSYS) || (WIFEXITED(ws) && WEXITSTATUS(ws) == 0),
	   "main: its own nf_tables write fails (seccomp kills the socket() call, or the kernel says EPERM)",
	   detail);
	ok(hexfield(getpid(), "Seccomp") == 2, "main: Seccomp 2 (filter)", NULL);

	/* the helper refuses another table's batch */
	compile("foreign", &foreign);
	r = psep_commit(&p, foreign.buf, foreign.len, false, &res, why, sizeof(why));
	ok(r == -EPERM && strstr(why, "'foreign'"), "helper: refuses a batch for table 'foreign'", why);
	nl_result_free(&res);

	/* and commits vigild's own */
	why[0] = '\0';
	r = psep_commit(&p, good.buf, good.len, false, &res, why, sizeof(why));
	ok(r == 0 && res.n == 0 && !res.lost, "helper: commits a batch for table 'vigil'", why);
	nl_result_free(&res);
	uint32_t gen = 0;
	r = psep_getgen(&p, &gen);
	ok(r == 0 && gen > 0, "helper: answers the generation", NULL);

	/* anything outside the vocabulary ends the helper */
	struct psep_hdr h = { PSEP_MAGIC, 42, 0, 0 };
	if (write(p.fd, &h, sizeof(h)) != sizeof(h))
		perror("write");
	r = psep_stop(&p, true);
	snprintf(detail, sizeof(detail), "exit status %d", r);
	ok(r == 3, "helper: an unknown request makes it log and exit 3", detail);

	batch_free(&good);
	batch_free(&foreign);
	return failed ? 1 : 0;
}
