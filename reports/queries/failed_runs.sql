-- failed_runs.sql: which runs failed, and why (useful after `zabsim sweep`).
--
-- Every run whose verdict is 'fail', with the violations the run recorded (the stored
-- findings; `zabsim check` re-derives them from the tables) and a command reproducing it.
--   sqlite3 -header -column results.db < reports/queries/failed_runs.sql

SELECT r.run_id, r.scenario, r.seed, v.invariant, v.detail,
       'zabsim run ' || coalesce(r.scenario_path, r.scenario || '.yaml') || ' --seed '
       || r.seed AS reproduce
FROM runs AS r
LEFT JOIN violations AS v ON v.run_id = r.run_id
WHERE r.verdict = 'fail'
ORDER BY r.run_id, v.rowid;
