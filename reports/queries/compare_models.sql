-- compare_models.sql: the models side by side.
--
-- First result: run_summary as one row per measure with a column per model (NULL for a
-- model the run did not simulate). Second result: which models delivered each client
-- message somewhere, counted: "zab+pubsub", "zab" only, ..., or "none" (joined on msg_id,
-- the same in every model).
--
-- Runs on the newest run; put a number in `params` for another one.
--   sqlite3 -header -column results.db < reports/queries/compare_models.sql

WITH params (run_id) AS (SELECT max(run_id) FROM runs),
s AS (SELECT r.* FROM run_summary AS r, params AS p WHERE r.run_id = p.run_id),
measures (k, measure) AS (
    VALUES (1, 'submitted'),
           (2, 'acked'),
           (3, 'failed'),
           (4, 'unknown'),
           (5, 'delivered'),
           (6, 'lost'),
           (7, 'lost_in_transit'),
           (8, 'missed_while_down'),
           (9, 'duplicates'),
           (10, 'redeliveries'),
           (11, 'order_disagreements'),
           (12, 'ack_p50_ns'),
           (13, 'ack_p99_ns'),
           (14, 'ack_max_ns'),
           (15, 'delivery_p50_ns'),
           (16, 'delivery_p99_ns'),
           (17, 'delivery_max_ns'),
           (18, 'restarts'),
           (19, 'catchup_max_ns'),
           (20, 'never_caught_up'),
           (21, 'unavailable_ns'),
           (22, 'leader_changes')
),
cells AS (
    SELECT m.k, m.measure, s.model,
           CASE m.measure
               WHEN 'submitted' THEN s.submitted
               WHEN 'acked' THEN s.acked
               WHEN 'failed' THEN s.failed
               WHEN 'unknown' THEN s.unknown
               WHEN 'delivered' THEN s.delivered
               WHEN 'lost' THEN s.lost
               WHEN 'lost_in_transit' THEN s.lost_in_transit
               WHEN 'missed_while_down' THEN s.missed_while_down
               WHEN 'duplicates' THEN s.duplicates
               WHEN 'redeliveries' THEN s.redeliveries
               WHEN 'order_disagreements' THEN s.order_disagreements
               WHEN 'ack_p50_ns' THEN s.ack_p50_ns
               WHEN 'ack_p99_ns' THEN s.ack_p99_ns
               WHEN 'ack_max_ns' THEN s.ack_max_ns
               WHEN 'delivery_p50_ns' THEN s.delivery_p50_ns
               WHEN 'delivery_p99_ns' THEN s.delivery_p99_ns
               WHEN 'delivery_max_ns' THEN s.delivery_max_ns
               WHEN 'restarts' THEN s.restarts
               WHEN 'catchup_max_ns' THEN s.catchup_max_ns
               WHEN 'never_caught_up' THEN s.never_caught_up
               WHEN 'unavailable_ns' THEN s.unavailable_ns
               WHEN 'leader_changes' THEN s.leader_changes
           END AS value
    FROM measures AS m, s
)
SELECT measure,
       max(CASE model WHEN 'zab' THEN value END) AS zab,
       max(CASE model WHEN 'pubsub' THEN value END) AS pubsub,
       max(CASE model WHEN 'jetstream' THEN value END) AS jetstream
FROM cells
GROUP BY k, measure
ORDER BY k;

WITH params (run_id) AS (SELECT max(run_id) FROM runs),
messages AS (
    SELECT DISTINCT s.msg_id FROM submissions AS s, params AS p WHERE s.run_id = p.run_id
),
fate AS (
    SELECT m.msg_id,
           coalesce((SELECT group_concat(model, '+')
                     FROM (SELECT DISTINCT d.model, o.position
                           FROM deliveries AS d, params AS p
                           JOIN models AS o ON o.run_id = d.run_id AND o.model = d.model
                           WHERE d.run_id = p.run_id AND d.msg_id = m.msg_id
                           ORDER BY o.position)), 'none') AS delivered_by
    FROM messages AS m
)
SELECT delivered_by, count(*) AS messages
FROM fate
GROUP BY delivered_by
ORDER BY delivered_by;
