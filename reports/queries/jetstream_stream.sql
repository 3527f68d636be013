-- jetstream_stream.sql: what happened to the JetStream-style stream in each run.
--
-- One row per run of the jetstream model: messages acknowledged to their publishers;
-- acknowledged messages no replica up at the end holds (the acked_kept invariant's count,
-- listed violations plus the "N more violations ... not listed" row);
-- sequences found holding two different messages (one_order); messages the stream stored
-- at two sequences (a retry after the duplicate window, or after its first try was lost
-- uncommitted); PubAcks answered from the de-duplication table; redeliveries after
-- AckWait; messages given up after MaxDeliver; and each replica's stream length at the
-- end of its last incarnation.
--   sqlite3 -header -column results.db < reports/queries/jetstream_stream.sql

SELECT r.run_id, r.scenario, r.seed,
       (SELECT count(*) FROM submissions AS s
        WHERE s.run_id = r.run_id AND s.model = 'jetstream' AND s.outcome = 'acked') AS acked,
       (SELECT coalesce(sum(CASE WHEN v.detail LIKE '% more violations of % not listed'
                                 THEN CAST(v.detail AS INTEGER) ELSE 1 END), 0)
        FROM violations AS v
        WHERE v.run_id = r.run_id AND v.model = 'jetstream' AND v.invariant = 'acked_kept')
           AS acked_lost,
       (SELECT coalesce(sum(CASE WHEN v.detail LIKE '% more violations of % not listed'
                                 THEN CAST(v.detail AS INTEGER) ELSE 1 END), 0)
        FROM violations AS v
        WHERE v.run_id = r.run_id AND v.model = 'jetstream' AND v.invariant = 'one_order')
           AS order_forks,
       (SELECT count(*) FROM (SELECT msg_id FROM js_stored AS st
                              WHERE st.run_id = r.run_id
                              GROUP BY msg_id HAVING count(DISTINCT seq) > 1)) AS stored_twice,
       (SELECT count(*) FROM js_pubacks AS p
        WHERE p.run_id = r.run_id AND p.duplicate = 1) AS duplicate_pubacks,
       (SELECT count(*) FROM js_redeliveries AS d WHERE d.run_id = r.run_id) AS redeliveries,
       (SELECT count(*) FROM drops AS d
        WHERE d.run_id = r.run_id AND d.model = 'jetstream' AND d.cause = 'max_deliver')
           AS max_deliver_drops,
       (SELECT group_concat(host || ':' || last_seq, ' ')
        FROM (SELECT st.host, max(st.seq) AS last_seq FROM js_stored AS st
              WHERE st.run_id = r.run_id
                AND st.incarnation = (SELECT max(x.incarnation) FROM js_stored AS x
                                      WHERE x.run_id = r.run_id AND x.host = st.host)
              GROUP BY st.host ORDER BY st.host)) AS replica_streams
FROM runs AS r
WHERE EXISTS (SELECT 1 FROM models AS m WHERE m.run_id = r.run_id AND m.model = 'jetstream')
ORDER BY r.run_id;
