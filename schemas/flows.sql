-- SPDX-License-Identifier: GPL-2.0-or-later
--
-- The vigild flows database (vigild watch writes it, vigild flows reads it).
--
-- This file is the single source of truth for the schema: vigild embeds it
-- at build time. Each line "-- migration N" starts the statements that take
-- the schema from version N-1 to N. vigild runs the missing ones in order,
-- inside one transaction, and records N in PRAGMA user_version. A database
-- whose user_version is newer than the last migration here is refused.
-- Never edit a migration that has been released: append a new one.
--
-- Conventions:
--   minute   Unix time (UTC, seconds) of the start of the minute.
--   ''       stands for "none" in key columns (src aggregated away, flow not
--            attributed to a vigild rule): SQLite treats NULLs in a primary
--            key as distinct, so they would defeat ON CONFLICT. The view
--            flows_v shows them as NULL.

-- migration 1

-- One row per (minute, family, proto, src, dst, dport, rule). NEW events
-- count in the minute they were seen; DESTROY events add their counters
-- and duration to the minute the connection ended.
CREATE TABLE flows (
	minute INTEGER NOT NULL,
	family INTEGER NOT NULL,          -- 4 or 6
	proto INTEGER NOT NULL,           -- IP protocol number
	src TEXT NOT NULL,                -- '' when sources are aggregated
	dst TEXT NOT NULL,
	dport INTEGER NOT NULL,           -- port; ICMP/ICMPv6 type; 0 for other protocols
	rule TEXT NOT NULL,               -- the policy rule that accepted the flow; '' = none
	flows INTEGER NOT NULL DEFAULT 0,       -- connections created (NEW events)
	packets INTEGER NOT NULL DEFAULT 0,     -- both directions, from DESTROY counters
	bytes INTEGER NOT NULL DEFAULT 0,       -- both directions, from DESTROY counters
	duration_ms INTEGER NOT NULL DEFAULT 0, -- summed over DESTROYs with timestamps
	destroys INTEGER NOT NULL DEFAULT 0,    -- DESTROY events that carried counters
	PRIMARY KEY (minute, family, proto, src, dst, dport, rule)
) WITHOUT ROWID;

-- What the observer saw and missed, per minute. A minute without a row is
-- a minute in which no observer ran.
CREATE TABLE observer (
	minute INTEGER PRIMARY KEY,
	events INTEGER NOT NULL DEFAULT 0,         -- conntrack events received
	new_events INTEGER NOT NULL DEFAULT 0,     -- of which NEW
	lost INTEGER NOT NULL DEFAULT 0,           -- events the kernel dropped (socket drops)
	enobufs INTEGER NOT NULL DEFAULT 0,        -- receive-buffer overrun episodes (ENOBUFS)
	kernel_inserts INTEGER NOT NULL DEFAULT 0, -- conntrack "insert" statistic delta
	overflow INTEGER NOT NULL DEFAULT 0,       -- events not aggregated (memory cap)
	bad INTEGER NOT NULL DEFAULT 0             -- messages that failed to parse
);

-- Settings of the observer: policy file, table, start time, whether
-- nf_conntrack_acct / nf_conntrack_timestamp were on.
CREATE TABLE meta (
	key TEXT PRIMARY KEY NOT NULL,
	value TEXT NOT NULL
) WITHOUT ROWID;

-- flows with the '' placeholders as NULL, and packets/bytes NULL when no
-- DESTROY with counters was seen (unknown, not zero).
CREATE VIEW flows_v AS
	SELECT minute, family, proto,
	       NULLIF(src, '') AS src, dst, dport, NULLIF(rule, '') AS rule, flows,
	       CASE WHEN destroys > 0 THEN packets END AS packets,
	       CASE WHEN destroys > 0 THEN bytes END AS bytes,
	       CASE WHEN destroys > 0 THEN duration_ms END AS duration_ms,
	       destroys
	FROM flows;

-- migration 2

-- Minutes observed only in part: when an observer started or stopped
-- within the minute (Unix seconds; NULL: it did not). Connections of that
-- minute before the start or after the stop are missing without any count.
-- A watcher that did not stop cleanly (killed, crashed) has its last minute
-- marked at the next start with stopped = minute (the time is unknown).
ALTER TABLE observer ADD COLUMN started INTEGER;
ALTER TABLE observer ADD COLUMN stopped INTEGER;

-- migration 3

-- Honest completeness beyond event loss (vigild watch's daemon core).
-- incomplete: bits for why the minute's flows may be missing or attributed
--   to the wrong rules: 1 vigild's table was absent for part of the minute
--   (deleted by someone else, before the re-assert), 2 someone else changed
--   vigild's table, 4 the rules in the kernel were not the policy whose rule
--   names the minute's flows carry.
-- ct_*: the kernel's conntrack table was full: entries evicted early, not
--   inserted, and packets dropped for want of an entry (per-CPU conntrack
--   statistics, deltas within the minute). ct_max: nf_conntrack_max, and
--   ct_entries the entries at the minute's last reading.
-- db_lost_flows, db_lost_minutes: flows and minutes the writer could not
--   store (disk full, read-only, locked) and dropped to stay within its
--   memory bound, counted in the minute writing resumed (or the last one).
ALTER TABLE observer ADD COLUMN incomplete INTEGER NOT NULL DEFAULT 0;
ALTER TABLE observer ADD COLUMN ct_early_drop INTEGER NOT NULL DEFAULT 0;
ALTER TABLE observer ADD COLUMN ct_insert_failed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE observer ADD COLUMN ct_drop INTEGER NOT NULL DEFAULT 0;
ALTER TABLE observer ADD COLUMN ct_max INTEGER NOT NULL DEFAULT 0;
ALTER TABLE observer ADD COLUMN ct_entries INTEGER NOT NULL DEFAULT 0;
ALTER TABLE observer ADD COLUMN db_lost_flows INTEGER NOT NULL DEFAULT 0;
ALTER TABLE observer ADD COLUMN db_lost_minutes INTEGER NOT NULL DEFAULT 0;

-- migration 4

-- Refused traffic (vigild watch, NFLOG; see vigil-flows(5)). Each drop or
-- reject rule and each drop default sends the first packet of a refused
-- connection attempt (conntrack state new) to vigild, rate-limited in the
-- kernel per rule: these rows are that sample, per minute.
-- rule: the policy rule's name, or default:input / default:forward /
--   default:output for a chain's default verdict.
-- verdict: 'drop' or 'reject'.
-- sampled: records received (packets, one per refused attempt under the
--   rate limit).
CREATE TABLE refused (
	minute INTEGER NOT NULL,
	family INTEGER NOT NULL,          -- 4 or 6
	proto INTEGER NOT NULL,
	src TEXT NOT NULL,                -- '' when sources are aggregated
	dst TEXT NOT NULL,
	dport INTEGER NOT NULL,           -- port; ICMP/ICMPv6 type; 0 for other protocols
	rule TEXT NOT NULL,
	verdict TEXT NOT NULL,
	sampled INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (minute, family, proto, src, dst, dport, rule, verdict)
) WITHOUT ROWID;

-- Exact refused totals per minute and rule, from the kernel's counters
-- (read once a minute in one dump): counted packets and bytes the rule
-- refused (its deciding rules' counters), logged the packets the kernel
-- sent to NFLOG (its NFLOG rules' counters), sampled the records vigild
-- received. logged - sampled is what was lost on the way.
CREATE TABLE refused_counts (
	minute INTEGER NOT NULL,
	rule TEXT NOT NULL,
	verdict TEXT NOT NULL,
	counted INTEGER NOT NULL DEFAULT 0,
	bytes INTEGER NOT NULL DEFAULT 0,
	logged INTEGER NOT NULL DEFAULT 0,
	sampled INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (minute, rule, verdict)
) WITHOUT ROWID;

-- The NFLOG observer per minute: records received, records the sequence
-- numbers say were lost, receive-buffer overruns (ENOBUFS), and messages
-- that failed to parse or carried a prefix that is not vigild's.
ALTER TABLE observer ADD COLUMN nflog_records INTEGER NOT NULL DEFAULT 0;
ALTER TABLE observer ADD COLUMN nflog_lost INTEGER NOT NULL DEFAULT 0;
ALTER TABLE observer ADD COLUMN nflog_enobufs INTEGER NOT NULL DEFAULT 0;
ALTER TABLE observer ADD COLUMN nflog_bad INTEGER NOT NULL DEFAULT 0;

-- The row cap (vigild watch --row-cap, default 10,000): per minute and
-- rule, distinct rows of accepted flows (and of refused samples) beyond the
-- cap are folded into the rule's overflow row of that minute, with family
-- 0 and src, dst '' , proto and dport 0, so the totals stay exact. folded:
-- the events and records of the minute that went into overflow rows.
ALTER TABLE observer ADD COLUMN folded INTEGER NOT NULL DEFAULT 0;

-- migration 5

-- Flows through NAT (vigild watch reads the conntrack reply tuple). A
-- connection translated on its way gets, in its rows' key:
--   nat_dst, nat_dport: where a dnat or redirect sent it ('' and 0: not
--     translated; dport and dst stay the original ones);
--   nat_src: the source address an snat or masquerade gave it ('': none);
--   nat: the policy's nat entry credited with the translation ('' none;
--     "DNAT,SNAT" when both ran; "#N" for entry N of a policy whose names
--     are not known).
-- Two forwards of one original destination stay two rows. SQLite cannot
-- change a primary key in place: the table is rebuilt, rows kept.
DROP VIEW flows_v;
CREATE TABLE flows_nat (
	minute INTEGER NOT NULL,
	family INTEGER NOT NULL,
	proto INTEGER NOT NULL,
	src TEXT NOT NULL,
	dst TEXT NOT NULL,
	dport INTEGER NOT NULL,
	rule TEXT NOT NULL,
	nat_dst TEXT NOT NULL DEFAULT '',
	nat_dport INTEGER NOT NULL DEFAULT 0,
	nat_src TEXT NOT NULL DEFAULT '',
	nat TEXT NOT NULL DEFAULT '',
	flows INTEGER NOT NULL DEFAULT 0,
	packets INTEGER NOT NULL DEFAULT 0,
	bytes INTEGER NOT NULL DEFAULT 0,
	duration_ms INTEGER NOT NULL DEFAULT 0,
	destroys INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (minute, family, proto, src, dst, dport, rule, nat_dst, nat_dport, nat_src, nat)
) WITHOUT ROWID;
INSERT INTO flows_nat (minute, family, proto, src, dst, dport, rule, flows, packets, bytes,
		       duration_ms, destroys)
	SELECT minute, family, proto, src, dst, dport, rule, flows, packets, bytes, duration_ms,
	       destroys FROM flows;
DROP TABLE flows;
ALTER TABLE flows_nat RENAME TO flows;
CREATE VIEW flows_v AS
	SELECT minute, family, proto,
	       NULLIF(src, '') AS src, dst, dport, NULLIF(rule, '') AS rule,
	       NULLIF(nat_dst, '') AS nat_dst, CASE WHEN nat_dst <> '' THEN nat_dport END AS nat_dport,
	       NULLIF(nat_src, '') AS nat_src, NULLIF(nat, '') AS nat, flows,
	       CASE WHEN destroys > 0 THEN packets END AS packets,
	       CASE WHEN destroys > 0 THEN bytes END AS bytes,
	       CASE WHEN destroys > 0 THEN duration_ms END AS duration_ms,
	       destroys
	FROM flows;
