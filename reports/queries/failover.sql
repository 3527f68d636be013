-- failover.sql: how long did each model take to replace a leader that a fault took away?
--
-- For every crash, power_off, pause or isolate fault that hit the host leading in a model
-- at that moment (ZAB: LEADING in BROADCAST; JetStream: LEADER, serving its stream), the
-- first time after it that any host leads in that model again, and the time between. The
-- old leader itself may come back first (after a pause, or restarted). NULL: no leader
-- again before the end of the run.
--
-- Runs on the newest run; put a number in `params` for another one.
--   sqlite3 -header -column results.db < reports/queries/failover.sql

WITH RECURSIVE
params (run_id) AS (SELECT max(run_id) FROM runs),
-- what leading means in each model with a leader
leading (model, state, phase) AS (VALUES ('zab', 'LEADING', 'BROADCAST'),
                                         ('jetstream', 'LEADER', NULL)),
-- faults that take a host away, one row per host they name (target: comma separated)
fault_split (t_ns, kind, fault_row, host, rest) AS (
    SELECT f.t_ns, f.kind, f.rowid, '', coalesce(f.target, '') || ','
    FROM faults AS f, params AS p
    WHERE f.run_id = p.run_id AND f.kind IN ('crash', 'power_off', 'pause', 'isolate')
    UNION ALL
    SELECT t_ns, kind, fault_row, trim(substr(rest, 1, instr(rest, ',') - 1)),
           substr(rest, instr(rest, ',') + 1)
    FROM fault_split
    WHERE rest != ''
),
-- every state change, marked when it is a leader's
states AS (
    SELECT h.model, h.host, h.t_ns, h.rowid AS ord,
           EXISTS (SELECT 1 FROM leading AS l
                   WHERE l.model = h.model AND l.state = h.state AND l.phase IS h.phase)
               AS leads
    FROM host_states AS h, params AS p
    WHERE h.run_id = p.run_id AND h.model IN (SELECT model FROM leading)
),
-- the fault's host led in the model at the fault: its last state before the fault leads
-- (the fault's own DOWN record comes at the fault's instant)
hit AS (
    SELECT f.t_ns, f.kind, f.host, s.model
    FROM fault_split AS f
    JOIN states AS s ON s.host = f.host AND s.t_ns < f.t_ns AND s.leads
    WHERE f.host != ''
      AND NOT EXISTS (SELECT 1 FROM states AS later
                      WHERE later.model = s.model AND later.host = s.host
                        AND later.t_ns < f.t_ns
                        AND (later.t_ns > s.t_ns OR (later.t_ns = s.t_ns AND later.ord > s.ord)))
)
SELECT hit.model, hit.kind || ' ' || hit.host AS fault, hit.t_ns AS fault_ns,
       next.host AS new_leader, next.t_ns AS leads_ns, next.t_ns - hit.t_ns AS failover_ns
FROM hit
LEFT JOIN states AS next
       ON next.model = hit.model
      AND next.ord = (SELECT s.ord FROM states AS s
                      WHERE s.model = hit.model AND s.leads AND s.t_ns > hit.t_ns
                      ORDER BY s.t_ns, s.ord LIMIT 1)
ORDER BY hit.t_ns, hit.model;
