-- unavailability_after_crash.sql: how long was the ensemble unavailable after the crash?
--
-- Every stretch of time with no ZAB host LEADING in phase BROADCAST, with the latest fault
-- at or before its start, and the host and epoch that ended it (NULL when it lasted to the
-- end of the run). This is the ensemble's view; run_summary.unavailable_ns is the clients'
-- (time in which some client could not connect or had an operation failing), which also
-- covers a leader that still says LEADING but has lost its quorum.
--
-- Runs on the newest run; put a number in `params` for another one.
--   sqlite3 -header -column results.db < reports/queries/unavailability_after_crash.sql

WITH RECURSIVE
params (run_id) AS (SELECT max(run_id) FROM runs),
run AS (SELECT r.run_id, r.duration_ns FROM runs AS r, params AS p WHERE r.run_id = p.run_id),
-- crash and power_off faults, one row per host they name (target is a comma separated list)
fault_split (t_ns, fault_row, host, rest) AS (
    SELECT f.t_ns, f.rowid, '', coalesce(f.target, '') || ','
    FROM faults AS f, run
    WHERE f.run_id = run.run_id AND f.kind IN ('crash', 'power_off')
    UNION ALL
    SELECT t_ns, fault_row, trim(substr(rest, 1, instr(rest, ',') - 1)),
           substr(rest, instr(rest, ',') + 1)
    FROM fault_split
    WHERE rest != ''
),
flags (host, t_ns, src, ord, is_leader) AS (
    SELECT h.host, h.t_ns, 0, h.rowid, h.state = 'LEADING' AND h.phase IS 'BROADCAST'
    FROM host_states AS h, run
    WHERE h.run_id = run.run_id
    UNION ALL
    SELECT host, t_ns, 1, fault_row, 0 FROM fault_split WHERE host != ''
),
changes AS (
    SELECT t_ns, is_leader - coalesce(lag(is_leader) OVER (PARTITION BY host
                                                           ORDER BY t_ns, src, ord), 0) AS delta
    FROM flags
),
points AS (
    SELECT t_ns, sum(delta) AS delta
    FROM (SELECT t_ns, delta FROM changes UNION ALL SELECT 0, 0)
    GROUP BY t_ns
),
levels AS (
    SELECT t_ns, sum(delta) OVER (ORDER BY t_ns) AS leaders,
           lead(t_ns) OVER (ORDER BY t_ns) AS t_next
    FROM points
),
-- consecutive leaderless levels form one stretch: number them by the leader-holding levels
-- before them
stretches AS (
    SELECT t_ns, leaders, t_next,
           sum(leaders != 0) OVER (ORDER BY t_ns) AS stretch
    FROM levels
),
gaps AS (
    SELECT min(t_ns) AS start_ns,
           min(max(coalesce(t_next, run.duration_ns)), run.duration_ns) AS end_ns
    FROM stretches, run
    WHERE leaders = 0 AND t_ns < run.duration_ns
    GROUP BY stretch
)
SELECT g.start_ns, g.end_ns, g.end_ns - g.start_ns AS unavailable_ns,
       (SELECT f.kind || ' ' || coalesce(f.target, '') || ' at ' || f.t_ns
        FROM faults AS f, run
        WHERE f.run_id = run.run_id AND f.t_ns <= g.start_ns
        ORDER BY f.t_ns DESC, f.rowid DESC LIMIT 1) AS after_fault,
       (SELECT h.host || ' epoch ' || h.epoch
        FROM host_states AS h, run
        WHERE h.run_id = run.run_id AND h.t_ns = g.end_ns AND h.state = 'LEADING'
          AND h.phase = 'BROADCAST'
        ORDER BY h.rowid LIMIT 1) AS new_leader
FROM gaps AS g
WHERE g.end_ns > g.start_ns
ORDER BY g.start_ns;
