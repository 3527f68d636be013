-- commit_latency_by_epoch.sql: ZAB commit latency by epoch.
--
-- Per epoch: its leader(s), proposals made and committed, the leader's commit latency
-- (committed_ns - proposed_ns) and the client's latency to the ack (outcome_ns -
-- submitted_ns of acked writes proposed in that epoch), as nearest-rank p50/p99 and max.
--
-- Runs on the newest run; put a number in `params` for another one.
--   sqlite3 -header -column results.db < reports/queries/commit_latency_by_epoch.sql

WITH params (run_id) AS (SELECT max(run_id) FROM runs),
commits AS (
    SELECT pr.epoch, pr.committed_ns - pr.proposed_ns AS ns
    FROM proposals AS pr, params AS p
    WHERE pr.run_id = p.run_id AND pr.committed_ns IS NOT NULL
),
acks AS (
    SELECT pr.epoch, s.outcome_ns - s.submitted_ns AS ns
    FROM proposals AS pr, params AS p
    JOIN submissions AS s
      ON s.run_id = pr.run_id AND s.model = 'zab' AND s.msg_id = pr.msg_id
     AND s.outcome = 'acked'
    WHERE pr.run_id = p.run_id AND pr.committed_ns IS NOT NULL
),
ranked AS (
    SELECT 'commit' AS kind, epoch, ns,
           row_number() OVER (PARTITION BY epoch ORDER BY ns) AS k,
           count(*) OVER (PARTITION BY epoch) AS n
    FROM commits
    UNION ALL
    SELECT 'ack', epoch, ns,
           row_number() OVER (PARTITION BY epoch ORDER BY ns),
           count(*) OVER (PARTITION BY epoch)
    FROM acks
),
percentiles AS (
    SELECT epoch, kind,
           max(CASE WHEN k = (n * 50 + 99) / 100 THEN ns END) AS p50,
           max(CASE WHEN k = (n * 99 + 99) / 100 THEN ns END) AS p99,
           max(ns) AS max_ns
    FROM ranked
    GROUP BY epoch, kind
)
SELECT e.epoch, e.leaders, e.proposed, e.committed,
       c.p50 AS commit_p50_ns, c.p99 AS commit_p99_ns, c.max_ns AS commit_max_ns,
       a.p50 AS ack_p50_ns, a.p99 AS ack_p99_ns, a.max_ns AS ack_max_ns
FROM (SELECT pr.epoch, group_concat(DISTINCT pr.leader) AS leaders, count(*) AS proposed,
             count(pr.committed_ns) AS committed
      FROM proposals AS pr, params AS p
      WHERE pr.run_id = p.run_id
      GROUP BY pr.epoch) AS e
LEFT JOIN percentiles AS c ON c.epoch = e.epoch AND c.kind = 'commit'
LEFT JOIN percentiles AS a ON a.epoch = e.epoch AND a.kind = 'ack'
ORDER BY e.epoch;
