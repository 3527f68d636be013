-- calibration.sql: the measures that compare a simulated model with the real system it
-- models (`zabsim conform`, docs/fidelity.md). Each block is
--   -- calibration: <name>
--   -- <the definition, in one sentence>
--   <one query, parameter :run_id, rows (model, value); a model without a row has no value>
-- They are computed the same way on simulated runs and on real ones (models zab-real and
-- pubsub-real), from the tables every run writes.

-- calibration: failover_ns
-- Leader crash to a new leader serving: from the run's first crash, when it hit the host
-- that led and served in the model just before it, to the first moment another host led and served.
WITH crash AS (
    SELECT t_ns, trace_seq, target FROM faults
    WHERE run_id = :run_id AND kind = 'crash' ORDER BY trace_seq LIMIT 1
)
SELECT m.model,
       (SELECT min(s.t_ns) - c.t_ns FROM host_states AS s
        WHERE s.run_id = m.run_id AND s.model = m.model AND s.host != c.target
          AND s.trace_seq > c.trace_seq AND s.state = m.leader_state
          AND s.phase IS m.serving_phase)
FROM models AS m, crash AS c
WHERE m.run_id = :run_id AND m.leader_state IS NOT NULL
  AND (SELECT p.state = m.leader_state AND p.phase IS m.serving_phase FROM host_states AS p
       WHERE p.run_id = m.run_id AND p.model = m.model AND p.host = c.target
         AND p.t_ns < c.t_ns ORDER BY p.trace_seq DESC LIMIT 1);

-- calibration: notice_ns
-- Leader crash to the survivors noticing: from the run's first crash, when it hit the host
-- that led and served, to the first moment another host stopped serving.
WITH crash AS (
    SELECT t_ns, trace_seq, target FROM faults
    WHERE run_id = :run_id AND kind = 'crash' ORDER BY trace_seq LIMIT 1
)
SELECT m.model,
       (SELECT min(s.t_ns) - c.t_ns FROM host_states AS s
        WHERE s.run_id = m.run_id AND s.model = m.model AND s.host != c.target
          AND s.trace_seq > c.trace_seq AND s.phase IS NOT m.serving_phase)
FROM models AS m, crash AS c
WHERE m.run_id = :run_id AND m.leader_state IS NOT NULL
  AND (SELECT p.state = m.leader_state AND p.phase IS m.serving_phase FROM host_states AS p
       WHERE p.run_id = m.run_id AND p.model = m.model AND p.host = c.target
         AND p.t_ns < c.t_ns ORDER BY p.trace_seq DESC LIMIT 1);

-- calibration: restart_serving_ns
-- Restart to serving: from the run's first restart of one host to the first moment that
-- host served again in the model (ZAB: in the serving phase; pub/sub: its subscriber
-- subscribed).
WITH restart AS (
    SELECT t_ns, trace_seq, target FROM faults
    WHERE run_id = :run_id AND kind = 'restart' AND target != '' AND instr(target, ',') = 0
    ORDER BY trace_seq LIMIT 1
)
SELECT m.model,
       (SELECT min(s.t_ns) - r.t_ns FROM host_states AS s
        WHERE s.run_id = m.run_id AND s.model = m.model AND s.host = r.target
          AND s.trace_seq > r.trace_seq AND s.state != 'DOWN'
          AND (m.serving_phase IS NULL OR s.phase IS m.serving_phase))
FROM models AS m, restart AS r
WHERE m.run_id = :run_id;

-- calibration: ack_gap_max_ns
-- Each client's longest gap between two consecutive acknowledgements, the longest over the
-- clients: how long the worst-hit client went without a write completing.
WITH acks AS (
    SELECT model, outcome_ns,
           lead(outcome_ns) OVER (PARTITION BY model, client ORDER BY outcome_ns) AS next_ns
    FROM submissions WHERE run_id = :run_id AND outcome = 'acked'
)
SELECT m.model, (SELECT max(a.next_ns - a.outcome_ns) FROM acks AS a WHERE a.model = m.model)
FROM models AS m WHERE m.run_id = :run_id;

-- calibration: not_acked
-- Writes not acknowledged: the run summary's failed plus unknown.
SELECT model, failed + unknown FROM run_summary WHERE run_id = :run_id;

-- calibration: lost_worst_subscriber
-- Messages lost by the subscriber that lost the most (the host summary's lost).
SELECT model, max(lost) FROM host_summary WHERE run_id = :run_id AND lost IS NOT NULL
GROUP BY model;

-- calibration: lost_other_subscribers
-- Messages lost by all the other subscribers together.
SELECT model, sum(lost) - max(lost) FROM host_summary
WHERE run_id = :run_id AND lost IS NOT NULL GROUP BY model;

-- calibration: order_disagreements
-- The run summary's order disagreements.
SELECT model, order_disagreements FROM run_summary WHERE run_id = :run_id;
