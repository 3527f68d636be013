-- pubsub_loss.sql: what did pub/sub lose, where, and why.
--
-- The losses view holds one row per loss behind run_summary.lost: an acknowledged publish
-- that a host up at the end never received in any incarnation, whether that host's
-- subscriber was up when it was published (lost in transit) or not (missed while down),
-- and the first drop row that explains it. The first result counts the losses by host,
-- kind and cause; the second lists every lost message with when it was published and
-- acked, and every drop recorded for it as host:cause@t_ns.
--
-- Runs on the newest run; put a number in `params` for another one.
--   sqlite3 -header -column results.db < reports/queries/pubsub_loss.sql

WITH params (run_id) AS (SELECT max(run_id) FROM runs)
SELECT coalesce(l.host, '(any)') AS host,
       CASE l.receiver_up WHEN 1 THEN 'in transit' ELSE 'missed while down' END AS kind,
       coalesce(l.cause, '(no drop row)') AS cause, count(*) AS losses
FROM losses AS l, params AS p
WHERE l.run_id = p.run_id AND l.model = 'pubsub'
GROUP BY l.host, l.receiver_up, l.cause
ORDER BY l.host, l.receiver_up DESC, losses DESC;

WITH params (run_id) AS (SELECT max(run_id) FROM runs),
lost AS (
    SELECT l.msg_id, group_concat(coalesce(l.host, '(any)'), ',') AS missing_at
    FROM losses AS l, params AS p
    WHERE l.run_id = p.run_id AND l.model = 'pubsub'
    GROUP BY l.msg_id
)
SELECT l.msg_id, min(s.submitted_ns) AS submitted_ns, min(s.outcome_ns) AS acked_ns,
       l.missing_at,
       (SELECT group_concat(coalesce(host, '-') || ':' || cause || '@' || t_ns, ' ')
        FROM (SELECT dr.host, dr.cause, dr.t_ns FROM drops AS dr, params AS p
              WHERE dr.run_id = p.run_id AND dr.model = 'pubsub' AND dr.msg_id = l.msg_id
              ORDER BY dr.t_ns, dr.rowid)) AS drops
FROM lost AS l
JOIN submissions AS s ON s.msg_id = l.msg_id AND s.model = 'pubsub' AND s.outcome = 'acked'
JOIN params AS p ON s.run_id = p.run_id
GROUP BY l.msg_id
ORDER BY submitted_ns, l.msg_id;
