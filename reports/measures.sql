-- measures.sql: the definition of every measure in run_summary, as one plain query each.
--
-- The run computes these measures in C while it runs (world/run_measures.c), so that a run
-- recorded at summary level, without the rows these queries read, has them too;
-- tests/test_measures.c runs every query below on real runs and checks that it returns
-- exactly what the run wrote, and that docs/database.md quotes each query word for word. Each block is
--   -- measure: <run_summary columns it gives, after `model`>
--   -- <the definition, in one sentence>
--   <one query, parameter :run_id, one row per model of the run>
-- A host's "receiver" is up when its latest host_states row in the model says anything but
-- DOWN (ZAB: the server process runs; pub/sub: the subscriber is subscribed).

-- measure: submitted
-- Operations invoked: distinct messages the clients offered to the model.
SELECT m.model,
       (SELECT count(DISTINCT s.msg_id) FROM submissions AS s
        WHERE s.run_id = m.run_id AND s.model = m.model)
FROM models AS m WHERE m.run_id = :run_id ORDER BY m.position;

-- measure: acked
-- Operations that completed ok: distinct messages the model acknowledged to their client.
SELECT m.model,
       (SELECT count(DISTINCT s.msg_id) FROM submissions AS s
        WHERE s.run_id = m.run_id AND s.model = m.model AND s.outcome = 'acked')
FROM models AS m WHERE m.run_id = :run_id ORDER BY m.position;

-- measure: failed
-- Operations that failed: messages refused (not taken) and never acknowledged.
SELECT m.model,
       (SELECT count(DISTINCT s.msg_id) FROM submissions AS s
        WHERE s.run_id = m.run_id AND s.model = m.model AND s.outcome = 'rejected'
          AND NOT EXISTS (SELECT 1 FROM submissions AS a
                          WHERE a.run_id = s.run_id AND a.model = s.model
                            AND a.msg_id = s.msg_id AND a.outcome = 'acked'))
FROM models AS m WHERE m.run_id = :run_id ORDER BY m.position;

-- measure: unknown
-- Operations of unknown outcome: messages neither acknowledged nor refused (timed out, or
-- still pending when the run ended), which may or may not have taken effect.
SELECT m.model,
       (SELECT count(DISTINCT s.msg_id) FROM submissions AS s
        WHERE s.run_id = m.run_id AND s.model = m.model
          AND NOT EXISTS (SELECT 1 FROM submissions AS a
                          WHERE a.run_id = s.run_id AND a.model = s.model
                            AND a.msg_id = s.msg_id AND a.outcome IN ('acked', 'rejected')))
FROM models AS m WHERE m.run_id = :run_id ORDER BY m.position;

-- measure: delivered
-- Distinct messages delivered by at least one host.
SELECT m.model,
       (SELECT count(DISTINCT d.msg_id) FROM deliveries AS d
        WHERE d.run_id = m.run_id AND d.model = m.model)
FROM models AS m WHERE m.run_id = :run_id ORDER BY m.position;

-- measure: lost, lost_in_transit, missed_while_down
-- Losses (the losses view): pairs (acknowledged message, host up at the end) where the host
-- never delivered the message in any incarnation, split by whether the host's receiver was
-- up when the message was first submitted (in transit) or down (missed while down).
SELECT m.model, count(l.msg_id), coalesce(sum(l.receiver_up), 0),
       coalesce(sum(1 - l.receiver_up), 0)
FROM models AS m
LEFT JOIN losses AS l ON l.run_id = m.run_id AND l.model = m.model
WHERE m.run_id = :run_id
GROUP BY m.model ORDER BY m.position;

-- measure: host_summary
-- Per model and host: distinct messages the host delivered in any incarnation, whether its
-- losses count (counted_hosts; never in a model with one receiver), and then its share of
-- the losses above, NULL when they do not count.
WITH per_host AS (
    SELECT model, host, count(*) AS lost, sum(receiver_up) AS in_transit
    FROM losses WHERE run_id = :run_id AND host IS NOT NULL
    GROUP BY model, host
)
SELECT m.model, h.host,
       c.host IS NOT NULL AND m.one_receiver = 0,
       (SELECT count(DISTINCT d.msg_id) FROM deliveries AS d
        WHERE d.run_id = m.run_id AND d.model = m.model AND d.host = h.host),
       CASE WHEN c.host IS NOT NULL AND m.one_receiver = 0 THEN coalesce(p.lost, 0) END,
       CASE WHEN c.host IS NOT NULL AND m.one_receiver = 0 THEN coalesce(p.in_transit, 0) END,
       CASE WHEN c.host IS NOT NULL AND m.one_receiver = 0
            THEN coalesce(p.lost - p.in_transit, 0) END
FROM models AS m JOIN hosts AS h ON h.run_id = m.run_id
LEFT JOIN counted_hosts AS c ON c.run_id = m.run_id AND c.model = m.model AND c.host = h.host
LEFT JOIN per_host AS p ON p.model = m.model AND p.host = h.host
WHERE m.run_id = :run_id
ORDER BY m.position, h.host_index;

-- measure: duplicates
-- Deliveries beyond the first of the same message by the same host incarnation.
SELECT m.model,
       (SELECT count(*) - count(DISTINCT d.host || '/' || d.incarnation || '/' || d.msg_id)
        FROM deliveries AS d WHERE d.run_id = m.run_id AND d.model = m.model)
FROM models AS m WHERE m.run_id = :run_id ORDER BY m.position;

-- measure: redeliveries
-- Deliveries of a message to a host beyond the first there, over all the host's
-- incarnations, not counting a restarted host's replay of its history (replayed = 1).
SELECT m.model,
       (SELECT count(*) - count(DISTINCT d.host || '/' || d.msg_id)
        FROM deliveries AS d
        WHERE d.run_id = m.run_id AND d.model = m.model AND d.replayed = 0)
FROM models AS m WHERE m.run_id = :run_id ORDER BY m.position;

-- measure: order_disagreements
-- Distinct pairs of messages that one host incarnation delivered next to each other (first
-- deliveries only) and another delivered the other way round.
WITH firsts AS (
    SELECT model, host, incarnation, msg_id, min(seq) AS seq
    FROM deliveries WHERE run_id = :run_id
    GROUP BY model, host, incarnation, msg_id
),
ranked AS (
    SELECT model, host, incarnation, msg_id,
           row_number() OVER (PARTITION BY model, host, incarnation ORDER BY seq) AS k
    FROM firsts
),
neighbours AS (
    SELECT a.model, a.host, a.incarnation, a.msg_id AS first, b.msg_id AS second
    FROM ranked AS a JOIN ranked AS b
      ON b.model = a.model AND b.host = a.host AND b.incarnation = a.incarnation
     AND b.k = a.k + 1
),
reversed AS (
    SELECT DISTINCT n.model, min(n.first, n.second) AS x, max(n.first, n.second) AS y
    FROM neighbours AS n
    JOIN ranked AS p ON p.model = n.model AND p.msg_id = n.first
    JOIN ranked AS q ON q.model = n.model AND q.msg_id = n.second
     AND q.host = p.host AND q.incarnation = p.incarnation
    WHERE q.k < p.k
)
SELECT m.model, (SELECT count(*) FROM reversed AS r WHERE r.model = m.model)
FROM models AS m WHERE m.run_id = :run_id ORDER BY m.position;

-- measure: ack_p50_ns, ack_p99_ns, ack_max_ns
-- Time from submission to the client's acknowledgement, over acknowledged submissions:
-- nearest-rank p50 and p99 (the value at rank ceil(p * n / 100)) and the maximum.
WITH v AS (
    SELECT model, outcome_ns - submitted_ns AS ns,
           row_number() OVER (PARTITION BY model ORDER BY outcome_ns - submitted_ns) AS k,
           count(*) OVER (PARTITION BY model) AS n
    FROM submissions WHERE run_id = :run_id AND outcome = 'acked'
)
SELECT m.model,
       (SELECT max(CASE WHEN k = (n * 50 + 99) / 100 THEN ns END) FROM v WHERE v.model = m.model),
       (SELECT max(CASE WHEN k = (n * 99 + 99) / 100 THEN ns END) FROM v WHERE v.model = m.model),
       (SELECT max(ns) FROM v WHERE v.model = m.model)
FROM models AS m WHERE m.run_id = :run_id ORDER BY m.position;

-- measure: delivery_p50_ns, delivery_p99_ns, delivery_max_ns
-- Time from a message's first submission to its delivery, over deliveries that are not
-- replays by host incarnations already running when the message was submitted (a restarted
-- host's catch-up is the catch-up measure, not this one): nearest-rank p50, p99 and maximum.
WITH sub AS (
    SELECT model, msg_id, min(submitted_ns) AS t FROM submissions
    WHERE run_id = :run_id GROUP BY model, msg_id
),
v AS (
    SELECT d.model, d.delivered_ns - s.t AS ns,
           row_number() OVER (PARTITION BY d.model ORDER BY d.delivered_ns - s.t) AS k,
           count(*) OVER (PARTITION BY d.model) AS n
    FROM deliveries AS d
    JOIN sub AS s ON s.model = d.model AND s.msg_id = d.msg_id
    JOIN host_lives AS l ON l.run_id = d.run_id AND l.host = d.host
     AND l.incarnation = d.incarnation
    WHERE d.run_id = :run_id AND d.replayed = 0 AND l.started_ns <= s.t
)
SELECT m.model,
       (SELECT max(CASE WHEN k = (n * 50 + 99) / 100 THEN ns END) FROM v WHERE v.model = m.model),
       (SELECT max(CASE WHEN k = (n * 99 + 99) / 100 THEN ns END) FROM v WHERE v.model = m.model),
       (SELECT max(ns) FROM v WHERE v.model = m.model)
FROM models AS m WHERE m.run_id = :run_id ORDER BY m.position;

-- measure: restarts, catchup_max_ns, never_caught_up
-- In a model that replays its history (NULL in the others, which have nothing to catch up
-- with), per host restart: the time from the restart until the new incarnation had
-- delivered every message delivered anywhere before the restart (the catchups table); the
-- count of restarts, the longest catch-up, and how many never caught up.
SELECT m.model,
       CASE WHEN m.replays_history = 1 THEN
           (SELECT count(*) FROM catchups AS c
            WHERE c.run_id = m.run_id AND c.model = m.model) END,
       (SELECT max(c.caught_up_ns - c.started_ns) FROM catchups AS c
        WHERE c.run_id = m.run_id AND c.model = m.model),
       CASE WHEN m.replays_history = 1 THEN
           (SELECT count(*) FROM catchups AS c
            WHERE c.run_id = m.run_id AND c.model = m.model AND c.caught_up_ns IS NULL) END
FROM models AS m WHERE m.run_id = :run_id ORDER BY m.position;

-- measure: catchups
-- The catchups table itself: every restart of a host in a model that replays its history,
-- and the first moment its incarnation had delivered every message delivered anywhere
-- before it started (NULL: never).
SELECT m.model, l.host, l.incarnation, l.started_ns,
       (SELECT CASE WHEN count(*) = count(x.t) THEN coalesce(max(x.t), l.started_ns) END
        FROM (SELECT (SELECT min(d.delivered_ns) FROM deliveries AS d
                      WHERE d.run_id = l.run_id AND d.model = m.model AND d.host = l.host
                        AND d.incarnation = l.incarnation AND d.msg_id = b.msg_id) AS t
              FROM (SELECT DISTINCT e.msg_id FROM deliveries AS e
                    WHERE e.run_id = l.run_id AND e.model = m.model
                      AND e.trace_seq < l.trace_seq) AS b) AS x)
FROM host_lives AS l JOIN models AS m ON m.run_id = l.run_id
WHERE l.run_id = :run_id AND l.incarnation > 1 AND m.replays_history = 1
ORDER BY m.position, l.host, l.incarnation;

-- measure: unavailable_ns
-- Time from the workload's start to the end of the run during which some client of the
-- model could not issue operations (its connection down: before its first connect and
-- between a loss and the next connect) or had an operation that did not complete ok
-- (from its invocation to its failure or time-out, or to the end while pending).
WITH run AS (
    SELECT workload_start_ns AS ws, duration_ns AS dur FROM runs WHERE run_id = :run_id
),
clients AS (
    SELECT DISTINCT model, client FROM submissions WHERE run_id = :run_id
    UNION
    SELECT DISTINCT model, client FROM client_states WHERE run_id = :run_id
),
states AS (
    SELECT model, client, t_ns, up,
           lead(t_ns) OVER (PARTITION BY model, client ORDER BY trace_seq) AS next_ns
    FROM client_states WHERE run_id = :run_id
),
stretches (model, s, e) AS (
    SELECT c.model, 0,
           coalesce((SELECT min(x.t_ns) FROM client_states AS x WHERE x.run_id = :run_id
                     AND x.model = c.model AND x.client = c.client AND x.up = 1), run.dur)
    FROM clients AS c, run
    UNION ALL
    SELECT model, t_ns, coalesce(next_ns, run.dur) FROM states, run WHERE up = 0
    UNION ALL
    SELECT model, submitted_ns, coalesce(outcome_ns, run.dur)
    FROM submissions, run WHERE run_id = :run_id AND outcome != 'acked'
),
clipped AS (
    SELECT model, max(s, run.ws) AS s, min(e, run.dur) AS e FROM stretches, run
),
ordered AS (
    SELECT model, s, e,
           max(e) OVER (PARTITION BY model ORDER BY s, e
                        ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reach
    FROM clipped WHERE e > s
),
islands AS (
    SELECT model, s, e,
           sum(CASE WHEN reach IS NULL OR s > reach THEN 1 ELSE 0 END)
               OVER (PARTITION BY model ORDER BY s, e) AS island
    FROM ordered
),
merged AS (
    SELECT model, min(s) AS s, max(e) AS e FROM islands GROUP BY model, island
)
SELECT m.model, coalesce((SELECT sum(e - s) FROM merged WHERE merged.model = m.model), 0)
FROM models AS m WHERE m.run_id = :run_id ORDER BY m.position;

-- measure: leader_changes
-- In a model with a leader: how many times some host entered the leader's state in the
-- serving phase (ZAB: LEADING in BROADCAST), after the first time; NULL without a leader.
WITH flags AS (
    SELECT s.model, s.host, s.trace_seq,
           s.state IS m.leader_state AND s.phase IS m.serving_phase AS on_
    FROM host_states AS s JOIN models AS m ON m.run_id = s.run_id AND m.model = s.model
    WHERE s.run_id = :run_id AND m.leader_state IS NOT NULL
),
entries AS (
    SELECT model, on_ AND NOT coalesce(lag(on_) OVER (PARTITION BY model, host
                                                      ORDER BY trace_seq), 0) AS entered
    FROM flags
)
SELECT m.model,
       CASE WHEN m.leader_state IS NOT NULL
            THEN max(0, (SELECT count(*) FROM entries AS e
                         WHERE e.model = m.model AND e.entered) - 1) END
FROM models AS m WHERE m.run_id = :run_id ORDER BY m.position;
