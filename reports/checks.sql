-- checks.sql: the ZAB invariants over proposals, host states and truncations
-- (CONTRACT.md section 5), as queries over run :run_id, and the views that format evidence.
--
-- Every SELECT returns one row per violation found: (invariant, detail, evidence), where
-- detail is a sentence naming the hosts (host#incarnation), epochs and zxids involved and
-- evidence is the table rows that prove it, one per line. A correct run returns no rows.
--
-- reports/check.c runs this file statement by statement, then the invariants that look at
-- every delivery, which are C (reports/db_check_order.c, reports/db_check_history.c): as
-- queries they took about 14 s on a run with a million deliveries; in C, reading the rows
-- once, about 1.5 s.
-- docs/database.md describes every invariant and where it is checked.
--
-- The file runs in the sqlite3 shell too:
--   sqlite3 -readonly DB -cmd '.parameter set :run_id 1' < reports/checks.sql

-- Evidence rows are formatted once, here, so that the queries below and the checks in C
-- print a table row the same way: the table name, then column=value pairs, zxids in hex
-- like ZooKeeper.
CREATE TEMP VIEW IF NOT EXISTS evidence_deliveries AS
SELECT rowid AS row_id, run_id,
       printf('deliveries model=%s host=%s incarnation=%d seq=%d msg_id=%s zxid=%s '
              || 'replayed=%d delivered_ns=%d', model, host, incarnation, seq, msg_id,
              CASE WHEN zxid IS NULL THEN 'NULL' ELSE printf('0x%x', zxid) END,
              replayed, delivered_ns) AS text
FROM deliveries;

CREATE TEMP VIEW IF NOT EXISTS evidence_proposals AS
SELECT rowid AS row_id, run_id,
       printf('proposals epoch=%d zxid=0x%x leader=%s incarnation=%d msg_id=%s '
              || 'proposed_ns=%d committed_ns=%s', epoch, zxid, leader, incarnation, msg_id,
              proposed_ns, coalesce(committed_ns, 'NULL')) AS text
FROM proposals;

CREATE TEMP VIEW IF NOT EXISTS evidence_submissions AS
SELECT rowid AS row_id, run_id,
       printf('submissions model=%s msg_id=%s client=%s host=%s submitted_ns=%d '
              || 'outcome=%s outcome_ns=%s', model, msg_id, client, coalesce(host, 'NULL'),
              submitted_ns, outcome, coalesce(outcome_ns, 'NULL')) AS text
FROM submissions;

CREATE TEMP VIEW IF NOT EXISTS evidence_host_states AS
SELECT rowid AS row_id, run_id,
       printf('host_states t_ns=%d host=%s incarnation=%d state=%s phase=%s epoch=%d',
              t_ns, host, incarnation, state, coalesce(phase, 'NULL'), epoch) AS text
FROM host_states;

CREATE TEMP VIEW IF NOT EXISTS evidence_truncations AS
SELECT rowid AS row_id, run_id,
       printf('truncations t_ns=%d host=%s incarnation=%d zxid=0x%x msg_id=%s delivered=%d',
              t_ns, host, incarnation, zxid, msg_id, delivered) AS text
FROM truncations;

CREATE TEMP VIEW IF NOT EXISTS evidence_hosts AS
SELECT rowid AS row_id, run_id,
       printf('hosts host=%s up_at_end=%d incarnation_at_end=%d zab_state_at_end=%s '
              || 'zab_phase_at_end=%s', host, up_at_end, incarnation_at_end,
              zab_state_at_end, coalesce(zab_phase_at_end, 'NULL')) AS text
FROM hosts;

-- committed_log_durability (the other half of durability, next to "every acked write is
-- delivered", which is C): no server removes a log entry that was already committed, i.e.
-- there is no truncation of (zxid, msg_id) at or after that proposal's commit.
SELECT 'committed_log_durability',
       printf('%s#%d removed committed zxid 0x%x (%s) from its log at %d ns; %s#%d had '
              || 'committed it at %d ns', t.host, t.incarnation, t.zxid, t.msg_id, t.t_ns,
              p.leader, p.incarnation, p.committed_ns),
       (SELECT text FROM evidence_proposals WHERE row_id = p.rowid) || char(10)
       || (SELECT text FROM evidence_truncations WHERE row_id = t.rowid)
FROM truncations AS t
JOIN proposals AS p
  ON p.rowid = (SELECT q.rowid FROM proposals AS q
                WHERE q.run_id = t.run_id AND q.zxid = t.zxid AND q.msg_id = t.msg_id
                  AND q.committed_ns <= t.t_ns
                ORDER BY q.committed_ns, q.rowid LIMIT 1)
WHERE t.run_id = :run_id
ORDER BY t.rowid;

-- one_leader_per_epoch, part 1: at most one host incarnation reaches LEADING + BROADCAST
-- in an epoch.
WITH leaders AS (
    SELECT epoch, host, incarnation, min(rowid) AS row_id
    FROM host_states
    WHERE run_id = :run_id AND state = 'LEADING' AND phase = 'BROADCAST'
    GROUP BY epoch, host, incarnation
)
SELECT 'one_leader_per_epoch',
       printf('epoch %d has %d leaders in BROADCAST: %s', epoch, count(*),
              (SELECT group_concat(host || '#' || incarnation, ', ')
               FROM (SELECT host, incarnation FROM leaders AS x
                     WHERE x.epoch = l.epoch ORDER BY row_id))),
       (SELECT group_concat(text, char(10))
        FROM (SELECT e.text FROM leaders AS x
              JOIN evidence_host_states AS e ON e.row_id = x.row_id
              WHERE x.epoch = l.epoch ORDER BY x.row_id))
FROM leaders AS l
GROUP BY epoch
HAVING count(*) > 1
ORDER BY epoch;

-- one_leader_per_epoch, part 2: the proposals of an epoch all come from one leader
-- incarnation.
WITH proposers AS (
    SELECT epoch, leader, incarnation, min(rowid) AS row_id
    FROM proposals
    WHERE run_id = :run_id
    GROUP BY epoch, leader, incarnation
)
SELECT 'one_leader_per_epoch',
       printf('epoch %d has proposals from %d leaders: %s', epoch, count(*),
              (SELECT group_concat(leader || '#' || incarnation, ', ')
               FROM (SELECT leader, incarnation FROM proposers AS x
                     WHERE x.epoch = l.epoch ORDER BY row_id))),
       (SELECT group_concat(text, char(10))
        FROM (SELECT e.text FROM proposers AS x
              JOIN evidence_proposals AS e ON e.row_id = x.row_id
              WHERE x.epoch = l.epoch ORDER BY x.row_id))
FROM proposers AS l
GROUP BY epoch
HAVING count(*) > 1
ORDER BY epoch;

-- zxid_monotonic, proposals (the deliveries half is C): a leader incarnation's proposals
-- have strictly increasing zxids in the order it made them. First offending proposal per
-- leader incarnation, with their number.
WITH steps AS (
    SELECT rowid AS row_id, leader, incarnation, zxid,
           row_number() OVER w AS ordinal,
           lag(zxid) OVER w AS prev_zxid, lag(rowid) OVER w AS prev_row
    FROM proposals
    WHERE run_id = :run_id
    WINDOW w AS (PARTITION BY leader, incarnation ORDER BY proposed_ns, rowid)
),
bad AS (
    SELECT *, row_number() OVER (PARTITION BY leader, incarnation ORDER BY ordinal) AS k,
           count(*) OVER (PARTITION BY leader, incarnation) AS n
    FROM steps
    WHERE zxid <= prev_zxid
)
SELECT 'zxid_monotonic',
       printf('leader %s#%d proposed zxid 0x%x after 0x%x%s', leader, incarnation, zxid,
              prev_zxid,
              CASE WHEN n > 1 THEN printf(' (%d such proposals by this incarnation)', n)
                   ELSE '' END),
       (SELECT text FROM evidence_proposals WHERE row_id = prev_row) || char(10)
       || (SELECT text FROM evidence_proposals WHERE row_id = bad.row_id)
FROM bad
WHERE k = 1
ORDER BY leader, incarnation;
