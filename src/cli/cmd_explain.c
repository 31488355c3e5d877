// SPDX-License-Identifier: GPL-2.0-or-later
/* vigild explain POLICY PACKET: which rule decides a packet. No privileges. */
#include <errno.h>
#include <getopt.h>
#include <string.h>

#include <json-c/json.h>

#include "cli.h"
#include "vigil/explain.h"
#include "vigil/pktdesc.h"

static const char explain_usage[] =
	"Usage: vigild explain [OPTIONS] POLICY PACKET...\n"
	"\n"
	"Says which rule of POLICY decides PACKET (or the chain's default), with\n"
	"its file:line:col, as the kernel would decide it once POLICY is applied.\n"
	"Nothing is read from or sent to the kernel; no privileges needed.\n"
	"PACKET (one argument or several words):\n"
	"  PROTO SOURCE -> DESTINATION [iif NAME] [oif NAME] [type TYPE] [code N]\n"
	"        [ct new|established|related|invalid|untracked] [status dnat]\n"
	"  tcp 203.0.113.9:51234 -> 10.0.0.1:22 iif eth0\n"
	"  udp [2001:db8::9]:5353 -> [2001:db8::1]:53\n"
	"  icmp 192.0.2.7 -> 10.0.0.1 type echo-request\n"
	"  tcp 192.0.2.2:40000 -> 172.17.0.2:80 iif eth0 oif docker0 status dnat\n"
	"    (status dnat: after a nat table's DNAT, as for a published port)\n"
	"The chain: forward with iif and oif, output with oif alone, else input.\n"
	"Exit status: 0 accept, 4 drop, 5 reject; 1 invalid policy, 2 usage or a\n"
	"malformed packet, 3 internal disagreement of the two evaluators.\n"
	"\n"
	"  -c, --chain CHAIN  input, forward or output (instead of guessing)\n"
	"  -t, --table NAME   as for 'vigild apply --table NAME'\n"
	"  -j, --json         print one JSON object (packet, chain, verdict, decided_by)\n"
	"  -q, --quiet        print nothing; the exit status says the verdict\n";

enum { EXIT_EXPLAIN_DROP = 4, EXIT_EXPLAIN_REJECT = 5 };

static int parse_chain(const char *s, int *chain)
{
	for (int c = 0; c < CH_MAX; c++)
		if (streq(s, chain_name(c))) {
			*chain = c;
			return 0;
		}
	cli_error("--chain wants input, forward or output, not '%s'", s);
	return -1;
}

/* The words of the packet, joined by spaces. */
static char *join_words(int n, char **words)
{
	struct strbuf sb = { 0 };

	for (int i = 0; i < n; i++) {
		if (i)
			sb_putc(&sb, ' ');
		sb_puts(&sb, words[i]);
	}
	return sb_take(&sb);
}

static void print_pkt_error(const char *text, const struct pktdesc_err *e)
{
	fprintf(stderr, "<packet>:1:%u: error: %s\n  %s\n  %*s", e->col, e->msg, text,
		(int)e->col, "^");
	for (unsigned i = 1; i < e->len; i++)
		fputc('~', stderr);
	fputc('\n', stderr);
}

static void print_json(const struct compiled *c, enum chain_id hook, const struct pktdesc *d,
		       const struct ir_outcome *o)
{
	json_object *j = json_object_new_object(), *by = json_object_new_object();
	struct strbuf sb = { 0 };

	pktdesc_format(&sb, &d->p);
	json_object_object_add(j, "packet", json_object_new_string(sb.s));
	json_object_object_add(j, "chain", json_object_new_string(chain_name(hook)));
	json_object_object_add(j, "verdict", json_object_new_string(ir_verdict_word(o->verdict)));
	if (o->policy) {
		json_object_object_add(by, "kind", json_object_new_string("default"));
	} else if (o->origin < 0 || (size_t)o->origin >= c->pol.nrules) {
		json_object_object_add(by, "kind", json_object_new_string("builtin"));
		json_object_object_add(by, "rule", json_object_new_string(o->comment ? o->comment : ""));
	} else {
		const struct prule *r = &c->pol.rules[o->origin];
		json_object_object_add(by, "kind", json_object_new_string("rule"));
		json_object_object_add(by, "rule", json_object_new_string(r->name));
		json_object_object_add(by, "file", json_object_new_string(r->loc.file ? r->loc.file : c->pol.file));
		json_object_object_add(by, "line", json_object_new_int((int)r->loc.line));
		json_object_object_add(by, "col", json_object_new_int((int)r->loc.col));
	}
	json_object_object_add(j, "decided_by", by);
	printf("%s\n", json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(j);
	sb_free(&sb);
}

static int explain_one(const struct compiled *c, int chain, const struct pktdesc *d, bool quiet,
		       bool json)
{
	enum chain_id hook = chain >= 0 ? (enum chain_id)chain : pktdesc_chain(d);
	struct ir_outcome o;
	struct strbuf sb = { 0 };
	int r = ir_explain(&c->pol, &c->t, hook, &d->p, &o);

	if (r == -EPROTO) {
		cli_error("the compiled table and the policy as written disagree on this packet (a bug in vigild: please report it with the policy)");
		return EXIT_SYSTEM;
	}
	if (r < 0) {
		cli_error("cannot evaluate the packet: %s", strerror(-r));
		return EXIT_SYSTEM;
	}
	if (json && !quiet)
		print_json(c, hook, d, &o);
	else if (!quiet) {
		pktdesc_format(&sb, &d->p);
		sb_printf(&sb, " (chain %s%s)\n%s: ", chain_name(hook),
			  d->sport_given || !d->p.sport ? "" : ", source port not given: 40000",
			  ir_verdict_word(o.verdict));
		ir_outcome_format(&sb, &c->pol, hook, &o);
		sb_putc(&sb, '\n');
		fputs(sb.s, stdout);
		sb_free(&sb);
	}
	return o.verdict == IV_ACCEPT ? EXIT_OK :
	       o.verdict == IV_REJECT ? EXIT_EXPLAIN_REJECT : EXIT_EXPLAIN_DROP;
}

static int explain_parse(int argc, char **argv, int *chain, const char **table, bool *quiet,
			 bool *json)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "chain", required_argument, NULL, 'c' },
		{ "table", required_argument, NULL, 't' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	optind = 1;
	opterr = 0;
	/* '+': the packet's words are not options ("->" starts with '-') */
	while ((ch = getopt_long(argc, argv, "+:hc:t:qj", opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			fputs(explain_usage, stdout);
			return EXIT_OK + 100;
		case 'c':
			if (parse_chain(optarg, chain) < 0)
				return EXIT_USAGE;
			break;
		case 't':
			if (table_name_problem(optarg)) {
				cli_error("invalid table name '%s': %s", optarg, table_name_problem(optarg));
				return EXIT_USAGE;
			}
			*table = optarg;
			break;
		case 'q':
			*quiet = true;
			break;
		case 'j':
			*json = true;
			break;
		default:
			return cli_bad_option("explain", ch, argv, explain_usage);
		}
	}
	if (argc - optind < 2) {
		fprintf(stderr, "%s explain: error: expected a POLICY file and a PACKET\n\n%s",
			program_name, explain_usage);
		return EXIT_USAGE;
	}
	return -1;
}

int cmd_explain(int argc, char **argv)
{
	struct policy_src src;
	struct compiled c;
	struct pktdesc d;
	struct pktdesc_err e;
	const char *table = NULL;
	bool quiet = false, json = false;
	int chain = -1, r;

	r = explain_parse(argc, argv, &chain, &table, &quiet, &json);
	if (r >= 0)
		return r == EXIT_OK + 100 ? EXIT_OK : r;
	_cleanup_free_ char *text = join_words(argc - optind - 1, argv + optind + 1);
	/* the packet first: a typo in it costs no compile */
	if (pktdesc_parse(text, &d, &e) < 0) {
		print_pkt_error(text, &e);
		return EXIT_USAGE;
	}
	if (chain == CH_INPUT && d.has_oif)
		cli_warn("chain input: the packet's oif is not seen there (the kernel reads an empty name)");
	if (chain == CH_OUTPUT && d.has_iif)
		cli_warn("chain output: the packet's iif is not seen there (the kernel reads an empty name)");
	r = policy_src_open(argv[optind], &src);
	if (r == EXIT_OK)
		r = cli_drop_if_root();
	if (r == EXIT_OK)
		r = policy_src_compile(&src, table, NULL, &c);
	if (r == EXIT_OK) {
		r = explain_one(&c, chain, &d, quiet, json);
		compiled_free(&c);
	}
	policy_src_close(&src);
	return r;
}
