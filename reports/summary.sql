-- summary.sql: creates the run_summary_data rows of run :run_id (read them through the
-- run_summary view), one per model the run simulated (table models), and fills the measures
-- of time: unavailable_ns and leader_changes. Definitions of every column: docs/database.md.
--
-- The measures of messages (submitted, acked, delivered, lost, duplicates,
-- order_disagreements, latency_*) are computed by reports/db_seq.c and written by
-- db_run_finish() right after this file: they look at every delivery, which as queries
-- (window functions, per-delivery joins, pairwise comparisons of host sequences) took about
-- 18 s on a run with a million deliveries of each model; in C, about a second per model.
--
-- Run by db_run_finish() after the runs, models and hosts rows exist; it can be re-run by
-- hand:
--   sqlite3 DB -cmd '.parameter set :run_id 1' < reports/summary.sql

DELETE FROM run_summary_data WHERE run_id = :run_id;

-- One row per model of the run, measures of messages at 0 until db_seq.c fills them.
INSERT INTO run_summary_data (run_id, model, submitted, acked, delivered, lost, duplicates,
                              order_disagreements, unavailable_ns, leader_changes)
SELECT :run_id, model, 0, 0, 0, 0, 0, 0, 0,
       CASE WHEN leader_state IS NOT NULL THEN 0 END
FROM models
WHERE run_id = :run_id
ORDER BY position;

-- unavailable_ns: time within [0, duration] when no host was "on" or, for a model with a
-- leader, a client write was failing (see stretches below). A model with a leader: on =
-- in its leader_state and serving_phase (ZAB: LEADING in BROADCAST; a crash or power-off
-- ends it at that instant even when no DOWN state was recorded). A model without: on = up
-- (every host starts up; crash and power_off stop it, restart starts it). leader_changes:
-- entries into leader_state + serving_phase after the first.
UPDATE run_summary_data
SET unavailable_ns = x.unavailable_ns,
    leader_changes = CASE WHEN x.has_leader THEN x.leader_entries - 1 END
FROM (
    WITH RECURSIVE
    run_models AS (SELECT model, leader_state, serving_phase FROM models
                   WHERE run_id = :run_id),
    -- crash, power_off and restart faults, one row per host named in their target list
    fault_split (t_ns, fault_row, kind, host, rest) AS (
        SELECT t_ns, rowid, kind, '', coalesce(target, '') || ','
        FROM faults
        WHERE run_id = :run_id AND kind IN ('crash', 'power_off', 'restart')
        UNION ALL
        SELECT t_ns, fault_row, kind, trim(substr(rest, 1, instr(rest, ',') - 1)),
               substr(rest, instr(rest, ',') + 1)
        FROM fault_split
        WHERE rest != ''
    ),
    host_faults AS (SELECT * FROM fault_split WHERE host != ''),
    -- every instant a host's "on" flag may change; src orders host_states before faults
    -- at the same instant, ord keeps the recording order
    flags (model, host, t_ns, src, ord, is_on) AS (
        SELECT s.model, s.host, s.t_ns, 0, s.rowid,
               s.state = m.leader_state AND s.phase IS m.serving_phase
        FROM host_states AS s JOIN run_models AS m ON m.model = s.model
        WHERE s.run_id = :run_id AND m.leader_state IS NOT NULL
        UNION ALL
        SELECT m.model, f.host, f.t_ns, 1, f.fault_row, 0
        FROM host_faults AS f, run_models AS m
        WHERE f.kind != 'restart' AND m.leader_state IS NOT NULL
        UNION ALL
        SELECT m.model, h.host, 0, 0, 0, 1
        FROM hosts AS h, run_models AS m
        WHERE h.run_id = :run_id AND m.leader_state IS NULL
        UNION ALL
        SELECT m.model, f.host, f.t_ns, 1, f.fault_row, f.kind = 'restart'
        FROM host_faults AS f, run_models AS m
        WHERE m.leader_state IS NULL
    ),
    changes AS (
        SELECT model, t_ns,
               is_on - coalesce(lag(is_on) OVER (PARTITION BY model, host
                                                 ORDER BY t_ns, src, ord), 0) AS delta
        FROM flags
    ),
    -- t = 0 is always a point, so time before the first change is counted too
    points AS (
        SELECT model, t_ns, sum(delta) AS delta
        FROM (SELECT model, t_ns, delta FROM changes
              UNION ALL SELECT model, 0, 0 FROM run_models)
        GROUP BY model, t_ns
    ),
    levels AS (
        SELECT model, t_ns,
               sum(delta) OVER (PARTITION BY model ORDER BY t_ns) AS n_on,
               lead(t_ns) OVER (PARTITION BY model ORDER BY t_ns) AS t_next
        FROM points
    ),
    run AS (SELECT duration_ns FROM runs WHERE run_id = :run_id),
    -- stretches to count: no host on, and (models with a leader) a client write failing:
    -- from its submission to its timeout or rejection, or to the end while still pending.
    -- A leader cut off from its quorum still says LEADING, and its followers take
    -- syncLimit ticks to notice; the writes it cannot commit are what show that it is not
    -- available.
    stretches (model, s, e) AS (
        SELECT l.model, l.t_ns, min(coalesce(l.t_next, run.duration_ns), run.duration_ns)
        FROM levels AS l, run
        WHERE l.n_on = 0
        UNION ALL
        SELECT s.model, min(s.submitted_ns, run.duration_ns),
               min(coalesce(s.outcome_ns, run.duration_ns), run.duration_ns)
        FROM submissions AS s JOIN run_models AS m ON m.model = s.model, run
        WHERE s.run_id = :run_id AND m.leader_state IS NOT NULL AND s.outcome != 'acked'
    ),
    -- merge overlapping stretches: a stretch opens an island when it starts after every
    -- earlier stretch ended
    ordered AS (
        SELECT model, s, e,
               max(e) OVER (PARTITION BY model ORDER BY s, e
                            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reach
        FROM stretches WHERE e > s
    ),
    islands AS (
        SELECT model, s, e,
               sum(CASE WHEN reach IS NULL OR s > reach THEN 1 ELSE 0 END)
                   OVER (PARTITION BY model ORDER BY s, e) AS island
        FROM ordered
    ),
    unavailable AS (
        SELECT model, sum(e_max - s_min) AS ns
        FROM (SELECT model, island, min(s) AS s_min, max(e) AS e_max
              FROM islands GROUP BY model, island)
        GROUP BY model
    )
    SELECT m.model, m.leader_state IS NOT NULL AS has_leader,
           coalesce((SELECT ns FROM unavailable AS u WHERE u.model = m.model), 0)
               AS unavailable_ns,
           max(1, (SELECT count(*) FROM changes AS c
                   WHERE c.model = m.model AND c.delta = 1)) AS leader_entries
    FROM run_models AS m
) AS x
WHERE run_summary_data.run_id = :run_id AND run_summary_data.model = x.model;
