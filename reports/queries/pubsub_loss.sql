-- pubsub_loss.sql: what did pub/sub lose, when, and why.
--
-- Lost, as in run_summary: an acked publish that some host up at the end never received in
-- its final incarnation. The first result sums the drops (messages that knowingly missed a
-- subscriber) by cause; the second lists every lost message with when it was published and
-- acked, the hosts that miss it, and its drops as host:cause@t_ns.
--
-- Runs on the newest run; put a number in `params` for another one.
--   sqlite3 -header -column results.db < reports/queries/pubsub_loss.sql

WITH params (run_id) AS (SELECT max(run_id) FROM runs)
SELECT d.cause, count(*) AS drops, count(DISTINCT d.msg_id) AS messages,
       min(d.t_ns) AS first_ns, max(d.t_ns) AS last_ns
FROM drops AS d, params AS p
WHERE d.run_id = p.run_id AND d.model = 'pubsub'
GROUP BY d.cause
ORDER BY drops DESC, d.cause;

WITH params (run_id) AS (SELECT max(run_id) FROM runs),
final AS (
    SELECT h.host, h.host_index, h.incarnation_at_end AS incarnation
    FROM hosts AS h, params AS p
    WHERE h.run_id = p.run_id AND h.up_at_end = 1
),
acked AS (
    SELECT s.msg_id, min(s.submitted_ns) AS submitted_ns, min(s.outcome_ns) AS acked_ns
    FROM submissions AS s, params AS p
    WHERE s.run_id = p.run_id AND s.model = 'pubsub' AND s.outcome = 'acked'
    GROUP BY s.msg_id
),
missing AS (
    SELECT a.msg_id, f.host, f.host_index
    FROM acked AS a, final AS f, params AS p
    WHERE NOT EXISTS (SELECT 1 FROM deliveries AS d
                      WHERE d.run_id = p.run_id AND d.model = 'pubsub'
                        AND d.msg_id = a.msg_id AND d.host = f.host
                        AND d.incarnation = f.incarnation)
)
SELECT a.msg_id, a.submitted_ns, a.acked_ns,
       (SELECT group_concat(host, ',')
        FROM (SELECT host FROM missing AS m WHERE m.msg_id = a.msg_id
              ORDER BY host_index)) AS missing_at,
       (SELECT group_concat(coalesce(host, '-') || ':' || cause || '@' || t_ns, ' ')
        FROM (SELECT dr.host, dr.cause, dr.t_ns FROM drops AS dr, params AS p
              WHERE dr.run_id = p.run_id AND dr.model = 'pubsub' AND dr.msg_id = a.msg_id
              ORDER BY dr.t_ns, dr.rowid)) AS drops
FROM acked AS a
WHERE a.msg_id IN (SELECT msg_id FROM missing)
ORDER BY a.submitted_ns, a.msg_id;
