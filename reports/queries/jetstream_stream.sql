-- jetstream_stream.sql: what happened to the JetStream-style stream in each run.
--
-- One row per run of the jetstream model: messages acknowledged to their publishers;
-- acknowledged messages no replica up at the end holds (the acked_kept invariant's count,
-- listed violations plus the "N more violations ... not listed" row);
-- sequences found holding two different messages (one_order); messages the stream stored
-- at two sequences (a retry after the duplicate window, or after its first try was lost
-- uncommitted); PubAcks answered from the de-duplication table; redeliveries after
-- AckWait; messages given up after MaxDeliver; and each replica's stream length at the
-- end of its last incarnation (what it stored, not what its disk kept: see js_recoveries).
-- The counts of a sweep recorded at summary level (no js_stored or js_pubacks rows) are the
-- violations' only.
--   sqlite3 -header -column results.db < reports/queries/jetstream_stream.sql

WITH
counted (run_id, invariant, n) AS (
    SELECT v.run_id, v.invariant,
           sum(CASE WHEN v.detail LIKE '% more violations of % not listed'
                    THEN CAST(v.detail AS INTEGER) ELSE 1 END)
    FROM violations AS v WHERE v.model = 'jetstream' GROUP BY v.run_id, v.invariant
),
twice (run_id, n) AS (
    SELECT run_id, count(*) FROM (SELECT run_id, msg_id FROM js_stored
                                  GROUP BY run_id, msg_id HAVING count(DISTINCT seq) > 1)
    GROUP BY run_id
),
last_life (run_id, host, incarnation) AS (
    SELECT run_id, host, max(incarnation) FROM js_stored GROUP BY run_id, host
),
streams (run_id, lengths) AS (
    SELECT run_id, group_concat(host || ':' || last_seq, ' ')
    FROM (SELECT st.run_id, st.host, max(st.seq) AS last_seq
          FROM js_stored AS st
          JOIN last_life AS l USING (run_id, host, incarnation)
          GROUP BY st.run_id, st.host ORDER BY st.run_id, st.host)
    GROUP BY run_id
)
SELECT r.run_id, r.scenario, r.seed,
       (SELECT acked FROM run_summary AS s
        WHERE s.run_id = r.run_id AND s.model = 'jetstream') AS acked,
       coalesce((SELECT n FROM counted AS c
                 WHERE c.run_id = r.run_id AND c.invariant = 'acked_kept'), 0) AS acked_lost,
       coalesce((SELECT n FROM counted AS c
                 WHERE c.run_id = r.run_id AND c.invariant = 'one_order'), 0) AS order_forks,
       coalesce((SELECT n FROM twice AS t WHERE t.run_id = r.run_id), 0) AS stored_twice,
       (SELECT count(*) FROM js_pubacks AS p
        WHERE p.run_id = r.run_id AND p.duplicate = 1) AS duplicate_pubacks,
       (SELECT count(*) FROM js_redeliveries AS d WHERE d.run_id = r.run_id) AS redeliveries,
       (SELECT count(*) FROM drops AS d
        WHERE d.run_id = r.run_id AND d.model = 'jetstream' AND d.cause = 'max_deliver')
           AS max_deliver_drops,
       (SELECT lengths FROM streams AS st WHERE st.run_id = r.run_id) AS replica_streams
FROM runs AS r
WHERE EXISTS (SELECT 1 FROM models AS m WHERE m.run_id = r.run_id AND m.model = 'jetstream')
ORDER BY r.run_id;
