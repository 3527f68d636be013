-- order_divergence.sql: where did delivery orders diverge?
--
-- First result, ZAB: the seq positions where host incarnations hold different messages
-- (empty when the agreement invariant holds). Second result, pub/sub: every pair of
-- messages that one host incarnation received back to back (a then b, first deliveries) and
-- another received the other way round (b first), with the positions and the time of the
-- first one; the distinct pairs are run_summary.order_disagreements.
--
-- Runs on the newest run; put a number in `params` for another one. The pub/sub half
-- probes the index once per delivery and neighbour: about 15 s on a million deliveries.
--   sqlite3 -header -column results.db < reports/queries/order_divergence.sql

WITH params (run_id) AS (SELECT max(run_id) FROM runs),
split (seq) AS (
    SELECT x.seq FROM deliveries AS x, params AS p
    WHERE x.run_id = p.run_id AND x.model = 'zab'
    GROUP BY x.seq
    HAVING count(DISTINCT x.msg_id) > 1
)
SELECT d.seq, d.msg_id, printf('0x%x', d.zxid) AS zxid,
       group_concat(d.host || '#' || d.incarnation, ', ') AS delivered_at
FROM deliveries AS d, params AS p
WHERE d.run_id = p.run_id AND d.model = 'zab' AND d.seq IN split
GROUP BY d.seq, d.msg_id, d.zxid
ORDER BY d.seq, d.msg_id;

WITH params (run_id) AS (SELECT max(run_id) FROM runs),
-- each host incarnation's first deliveries (a repeat is a duplicate, not a reordering),
-- each with the next one
neighbours AS (
    SELECT d.host, d.incarnation, d.seq, d.msg_id AS a, d.delivered_ns,
           lead(d.msg_id) OVER (PARTITION BY d.host, d.incarnation ORDER BY d.seq) AS b
    FROM deliveries AS d, params AS p
    WHERE d.run_id = p.run_id AND d.model = 'pubsub'
      AND NOT EXISTS (SELECT 1 FROM deliveries AS x
                      WHERE x.run_id = p.run_id AND x.model = 'pubsub'
                        AND x.msg_id = d.msg_id AND x.host = d.host
                        AND x.incarnation = d.incarnation AND +x.seq < +d.seq)
)
-- ra, rb: the first deliveries of a and of b at another host incarnation, found through the
-- index on (run_id, model, msg_id, host, incarnation); the unary + on seq keeps SQLite from
-- scanning a host's whole sequence by (host, incarnation, seq) instead
SELECT n.host || '#' || n.incarnation AS in_order_at, n.seq AS seq_a, n.a, n.b,
       ra.host || '#' || ra.incarnation AS reversed_at, rb.seq AS reversed_seq_b,
       ra.seq AS reversed_seq_a, n.delivered_ns
FROM neighbours AS n, params AS p
JOIN deliveries AS ra
  ON ra.run_id = p.run_id AND ra.model = 'pubsub' AND ra.msg_id = n.a
JOIN deliveries AS rb
  ON rb.run_id = p.run_id AND rb.model = 'pubsub' AND rb.msg_id = n.b
 AND rb.host = ra.host AND rb.incarnation = ra.incarnation
WHERE n.b IS NOT NULL AND n.a != n.b AND +rb.seq < +ra.seq
  AND NOT (ra.host = n.host AND ra.incarnation = n.incarnation)
  AND NOT EXISTS (SELECT 1 FROM deliveries AS x
                  WHERE x.run_id = p.run_id AND x.model = 'pubsub' AND x.msg_id = n.a
                    AND x.host = ra.host AND x.incarnation = ra.incarnation
                    AND +x.seq < +ra.seq)
  AND NOT EXISTS (SELECT 1 FROM deliveries AS x
                  WHERE x.run_id = p.run_id AND x.model = 'pubsub' AND x.msg_id = n.b
                    AND x.host = rb.host AND x.incarnation = rb.incarnation
                    AND +x.seq < +rb.seq)
ORDER BY n.delivered_ns, n.host, n.incarnation, ra.host, ra.incarnation;
