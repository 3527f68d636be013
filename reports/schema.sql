-- schema.sql: the zabsim results database (docs/database.md describes every column and
-- gives example queries).
--
-- One file holds many runs; every table carries run_id. Times are integer nanoseconds of
-- simulated time, host columns hold host names (h1, h2, ... or the scenario's names), msg_id
-- is the client message's identity 'c<client>:<seq>', the same in every model, and `model`
-- names a registered model ('zab', 'pubsub', ...; the `models` table lists a run's).
--
-- Tables written from trace records carry trace_seq, the record's position in the run's
-- trace: rows of different tables that share a t_ns are ordered by it, and `zabsim check`
-- replays them in that order through the same invariant oracles the run used.
--
-- reports/db_run.c applies this file, then each registered model's own tables (proposals
-- and truncations for ZAB), to every new private run database; appending a run to an
-- existing file copies every table under a fresh run_id, so a table added here is copied
-- without code changes. application_id marks the file as a zabsim database and user_version
-- is the schema version (DB_SCHEMA_VERSION in reports/db.h must match; a test checks it).

PRAGMA application_id = 2053202547; -- 0x7a616273, "zabs"
PRAGMA user_version = 8;

CREATE TABLE runs (
    run_id          INTEGER PRIMARY KEY,
    scenario        TEXT NOT NULL,     -- scenario name
    description     TEXT,
    scenario_path   TEXT,              -- as given on the command line
    scenario_text   TEXT,              -- the whole YAML file
    seed            INTEGER NOT NULL,  -- seeds above 2^63-1 read back negative (two's complement)
    hosts           INTEGER NOT NULL,  -- number of hosts
    duration_ns     INTEGER NOT NULL,
    model           TEXT NOT NULL,     -- the models simulated, comma separated ('zab,pubsub')
    queue_group     TEXT,              -- pub/sub queue group of the subscribers, NULL if none
    workload_start_ns INTEGER NOT NULL, -- when clients start offering messages
    workload_stop_ns  INTEGER NOT NULL, -- when they stop (at most duration_ns)
    zabsim_version  TEXT NOT NULL,
    wall_ms         INTEGER,           -- wall-clock run time: the one non-reproducible column
    record          TEXT NOT NULL CHECK (record IN ('summary', 'outcomes', 'messages')),
        -- what was recorded: summary (no per-message rows), outcomes (+ submissions,
        -- deliveries, drops, proposals), messages (+ every network message)
    verdict         TEXT CHECK (verdict IN ('pass', 'fail')),
    variant         TEXT               -- a real ZooKeeper bug switched on (zab.variant or
                                       -- --variant: 'zk-4646', docs/bugs.md); NULL: none
);

-- The models a run simulated, in registry order, and what their measures take as a leader
-- and as serving.
CREATE TABLE models (
    run_id          INTEGER NOT NULL,
    position        INTEGER NOT NULL,  -- 0, 1, ...: column order in summaries
    model           TEXT NOT NULL,
    title           TEXT NOT NULL,     -- for people ('ZAB', 'pub/sub')
    leader_state    TEXT,              -- host_states.state of a leader; NULL: no leader
    serving_phase   TEXT,              -- host_states.phase of a serving host; NULL: when up
    has_oracle      INTEGER NOT NULL CHECK (has_oracle IN (0, 1)),  -- invariants checked
    one_receiver    INTEGER NOT NULL CHECK (one_receiver IN (0, 1)),
        -- 1: each message is meant for one host only (its subscribers form a queue group)
    replays_history INTEGER NOT NULL CHECK (replays_history IN (0, 1)),
        -- 1: a restarted host delivers the history again (it catches up)
    PRIMARY KEY (run_id, model)
);

-- Each host as the run ended. Its state in each model is its last host_states row (view
-- host_ends).
CREATE TABLE hosts (
    run_id              INTEGER NOT NULL,
    host_index          INTEGER NOT NULL,  -- 0-based position in the scenario's host list
    host                TEXT NOT NULL,
    up_at_end           INTEGER NOT NULL CHECK (up_at_end IN (0, 1)),
    incarnation_at_end  INTEGER NOT NULL,
    PRIMARY KEY (run_id, host)
);

-- Each life of each host's machine: from its start (t = 0, or a restart) to the crash or
-- power-off that ended it (NULL while it was still running at the end).
CREATE TABLE host_lives (
    run_id       INTEGER NOT NULL,
    trace_seq    INTEGER NOT NULL,  -- of the start
    host         TEXT NOT NULL,
    incarnation  INTEGER NOT NULL,  -- 1 from t = 0, then one more per restart
    started_ns   INTEGER NOT NULL,
    ended_ns     INTEGER,
    ended_seq    INTEGER,           -- trace position of the end
    ended_by     TEXT CHECK (ended_by IN ('crash', 'power_off')),
    PRIMARY KEY (run_id, host, incarnation)
);

CREATE TABLE faults (
    run_id     INTEGER NOT NULL,
    trace_seq  INTEGER NOT NULL,
    t_ns       INTEGER NOT NULL,
    kind       TEXT NOT NULL,   -- crash, power_off, restart, partition, isolate, heal, pause, ...
    target     TEXT,            -- resolved host names, comma separated
    detail     TEXT
);

CREATE TABLE host_states (
    run_id       INTEGER NOT NULL,
    trace_seq    INTEGER NOT NULL,
    model        TEXT NOT NULL,
    t_ns         INTEGER NOT NULL,
    host         TEXT NOT NULL,
    incarnation  INTEGER NOT NULL,
    state        TEXT NOT NULL,  -- the model's: ZAB DOWN, LOOKING, FOLLOWING, LEADING
    phase        TEXT,           -- the model's: ZAB ELECTION, ... BROADCAST; NULL when down
    epoch        INTEGER NOT NULL  -- ZAB: acceptedEpoch in DISCOVERY, currentEpoch otherwise
);
CREATE INDEX host_states_by_host ON host_states (run_id, model, host, t_ns);

-- When each client could issue operations to each model (up: connected, with the host it
-- was connected to) and when it could not. A client is down from t = 0 to its first up row.
CREATE TABLE client_states (
    run_id     INTEGER NOT NULL,
    trace_seq  INTEGER NOT NULL,
    model      TEXT NOT NULL,
    t_ns       INTEGER NOT NULL,
    client     TEXT NOT NULL,     -- 'c<n>'
    up         INTEGER NOT NULL CHECK (up IN (0, 1)),
    host       TEXT               -- host connected to; NULL when down
);
CREATE INDEX client_states_by_client ON client_states (run_id, model, client, trace_seq);

CREATE TABLE submissions (
    run_id        INTEGER NOT NULL,
    trace_seq     INTEGER NOT NULL,
    model         TEXT NOT NULL,
    msg_id        TEXT NOT NULL,
    client        TEXT NOT NULL,     -- 'c<n>'
    client_seq    INTEGER NOT NULL,  -- the client's sequence number (the <seq> of msg_id)
    host          TEXT,              -- host the client was attached to, NULL when none
    submitted_ns  INTEGER NOT NULL,
    outcome       TEXT NOT NULL CHECK (outcome IN ('pending', 'acked', 'rejected', 'timeout')),
    outcome_ns    INTEGER,           -- NULL while pending
    outcome_seq   INTEGER            -- trace position of the outcome; NULL while pending
);
CREATE INDEX submissions_by_msg ON submissions (run_id, model, msg_id, submitted_ns);

CREATE TABLE deliveries (
    run_id        INTEGER NOT NULL,
    trace_seq     INTEGER NOT NULL,
    model         TEXT NOT NULL,
    host          TEXT NOT NULL,
    incarnation   INTEGER NOT NULL,
    seq           INTEGER NOT NULL,  -- 1, 2, ... per host incarnation
    msg_id        TEXT NOT NULL,
    zxid          INTEGER,           -- the log position delivered (ZAB's zxid); NULL for none
    replayed      INTEGER NOT NULL CHECK (replayed IN (0, 1)),
    delivered_ns  INTEGER NOT NULL
);
-- Delivery sequences in order (ordering measures) and per message (loss, duplicates,
-- redeliveries).
CREATE INDEX deliveries_by_position ON deliveries (run_id, model, host, incarnation, seq);
CREATE INDEX deliveries_by_msg ON deliveries (run_id, model, msg_id, host, incarnation);

CREATE TABLE messages (
    run_id       INTEGER NOT NULL,
    trace_seq    INTEGER NOT NULL,
    model        TEXT NOT NULL,
    type         TEXT NOT NULL,
    src          TEXT NOT NULL,
    dst          TEXT NOT NULL,
    sent_ns      INTEGER NOT NULL,
    recv_ns      INTEGER,  -- NULL when lost
    lost_reason  TEXT,     -- partition, receiver_down, sender_power_off, connection_closed
    msg_id       TEXT      -- client message carried, NULL for protocol-only messages
);

CREATE TABLE drops (
    run_id     INTEGER NOT NULL,
    trace_seq  INTEGER NOT NULL,
    model      TEXT NOT NULL,
    msg_id     TEXT NOT NULL,
    host       TEXT,          -- host whose subscriber missed it; NULL when not host-bound
    t_ns       INTEGER NOT NULL,
    cause      TEXT NOT NULL, -- the model's: no_interest, broker_down, route_down, ...
    detail     TEXT           -- more on the cause (lost_in_flight: message type, how lost)
);
CREATE INDEX drops_by_msg ON drops (run_id, model, msg_id);

CREATE TABLE violations (
    run_id     INTEGER NOT NULL,
    model      TEXT NOT NULL,
    invariant  TEXT NOT NULL,
    detail     TEXT NOT NULL,
    evidence   TEXT NOT NULL  -- the rows that prove it, one per line
);

-- The measures, filled once per run when it finishes (reports/db_measure.c); read them
-- through the run_summary view. docs/database.md defines each one in a sentence and a query
-- (reports/measures.sql), and a test checks that the two agree.
CREATE TABLE run_summary_data (
    run_id               INTEGER NOT NULL,
    model                TEXT NOT NULL,
    submitted            INTEGER NOT NULL,  -- operations invoked (distinct messages)
    acked                INTEGER NOT NULL,  -- of them acknowledged to the client (ok)
    failed               INTEGER NOT NULL,  -- refused (fail)
    unknown              INTEGER NOT NULL,  -- timed out or still pending (unknown)
    delivered            INTEGER NOT NULL,  -- distinct messages delivered somewhere
    lost                 INTEGER NOT NULL,  -- (acked message, host up at the end) pairs
                                            -- never delivered there in any incarnation
    lost_in_transit      INTEGER NOT NULL,  -- of them: the host's receiver was up at submission
    missed_while_down    INTEGER NOT NULL,  -- of them: it was down
    duplicates           INTEGER NOT NULL,  -- repeats within one host incarnation
    redeliveries         INTEGER NOT NULL,  -- repeats at a host over its incarnations,
                                            -- replays not counted
    order_disagreements  INTEGER NOT NULL,
    ack_p50_ns           INTEGER,  -- submission to acknowledgement; NULL when nothing acked
    ack_p99_ns           INTEGER,
    ack_max_ns           INTEGER,
    delivery_p50_ns      INTEGER,  -- submission to delivery at hosts up since the submission;
    delivery_p99_ns      INTEGER,  -- NULL when there is no such delivery
    delivery_max_ns      INTEGER,
    restarts             INTEGER,  -- host restarts (each begins a catch-up); this and the
    catchup_max_ns       INTEGER,  -- next two are NULL in a model that does not replay its
    never_caught_up      INTEGER,  -- history; catchup_max_ns also when none caught up
    unavailable_ns       INTEGER NOT NULL,
    leader_changes       INTEGER,  -- NULL for a model without a leader
    PRIMARY KEY (run_id, model)
);

-- Loss per host: the same definitions as run_summary, one row per model and host. A host
-- not up at the end (or, in a model with a serving phase, not serving) is not counted:
-- counted = 0 and its loss columns are NULL.
CREATE TABLE host_summary (
    run_id             INTEGER NOT NULL,
    model              TEXT NOT NULL,
    host               TEXT NOT NULL,
    counted            INTEGER NOT NULL CHECK (counted IN (0, 1)),
    delivered          INTEGER NOT NULL,  -- distinct messages, every incarnation
    lost               INTEGER,
    lost_in_transit    INTEGER,
    missed_while_down  INTEGER,
    PRIMARY KEY (run_id, model, host)
);

-- Each restart of a host, in each model that replays its history: when the new incarnation
-- had delivered every message delivered anywhere before it started (caught up with the
-- commit point), NULL when it never did.
CREATE TABLE catchups (
    run_id        INTEGER NOT NULL,
    model         TEXT NOT NULL,
    host          TEXT NOT NULL,
    incarnation   INTEGER NOT NULL,
    started_ns    INTEGER NOT NULL,
    caught_up_ns  INTEGER,
    PRIMARY KEY (run_id, model, host, incarnation)
);

CREATE VIEW run_summary AS
SELECT d.run_id, d.model, submitted, acked, failed, unknown, delivered, lost, lost_in_transit,
       missed_while_down, duplicates, redeliveries, order_disagreements, ack_p50_ns,
       ack_p99_ns, ack_max_ns, delivery_p50_ns, delivery_p99_ns, delivery_max_ns, restarts,
       catchup_max_ns, never_caught_up, unavailable_ns, leader_changes
FROM run_summary_data AS d
JOIN models AS m ON m.run_id = d.run_id AND m.model = d.model
ORDER BY d.run_id, m.position;

-- Each host's state in each model with states, as the run ended: its last host_states row.
CREATE VIEW host_ends AS
SELECT s.run_id, s.model, s.host, s.incarnation, s.state, s.phase, s.epoch
FROM host_states AS s
WHERE s.trace_seq = (SELECT max(x.trace_seq) FROM host_states AS x
                     WHERE x.run_id = s.run_id AND x.model = s.model AND x.host = s.host);

-- Every operation as its client saw it (a Jepsen-style history): invoked at invoke_ns,
-- completed at complete_ns (NULL: never), and its type: ok (acknowledged), fail (refused: it
-- did not take effect) or unknown (timed out, or still pending at the end: it may or may not
-- have taken effect).
CREATE VIEW operations AS
SELECT run_id, model, client, client_seq, msg_id, host, submitted_ns AS invoke_ns,
       outcome_ns AS complete_ns,
       CASE outcome WHEN 'acked' THEN 'ok' WHEN 'rejected' THEN 'fail' ELSE 'unknown' END
           AS type
FROM submissions;

-- The hosts whose losses count, per model: up at the end and, in a model with a serving
-- phase (models.serving_phase), in that phase at the end.
CREATE VIEW counted_hosts AS
SELECT m.run_id, m.model, h.host
FROM models AS m JOIN hosts AS h ON h.run_id = m.run_id
LEFT JOIN host_ends AS e ON e.run_id = m.run_id AND e.model = m.model AND e.host = h.host
WHERE h.up_at_end = 1 AND (m.serving_phase IS NULL OR e.phase IS m.serving_phase);

-- Every loss behind run_summary.lost: a pair (acknowledged message, counted host) where the
-- host never delivered the message in any incarnation; in a model whose messages are each
-- meant for one host (models.one_receiver), an acknowledged message no host delivered, with
-- host NULL. Counted hosts: the counted_hosts view.
-- receiver_up: the host's receiver (latest host_states row not DOWN; for one receiver: any
-- host's) was up when the message was first submitted, so the loss happened in transit;
-- 0: it was missed while the receiver was down. cause, detail: the first drop row naming the
-- message for that host (or for no host in particular); NULL when none explains it.
CREATE VIEW losses AS
WITH acked AS (
    SELECT s.run_id, s.model, s.msg_id, min(s.trace_seq) AS first_seq
    FROM submissions AS s
    WHERE EXISTS (SELECT 1 FROM submissions AS a WHERE a.run_id = s.run_id
                  AND a.model = s.model AND a.msg_id = s.msg_id AND a.outcome = 'acked')
    GROUP BY s.run_id, s.model, s.msg_id
),
pairs AS (
    SELECT a.run_id, a.model, a.msg_id, a.first_seq, c.host
    FROM acked AS a JOIN models AS m ON m.run_id = a.run_id AND m.model = a.model
    JOIN counted_hosts AS c ON c.run_id = a.run_id AND c.model = a.model
    WHERE m.one_receiver = 0
      AND NOT EXISTS (SELECT 1 FROM deliveries AS d WHERE d.run_id = a.run_id
                      AND d.model = a.model AND d.msg_id = a.msg_id AND d.host = c.host)
    UNION ALL
    SELECT a.run_id, a.model, a.msg_id, a.first_seq, NULL
    FROM acked AS a JOIN models AS m ON m.run_id = a.run_id AND m.model = a.model
    WHERE m.one_receiver = 1
      AND NOT EXISTS (SELECT 1 FROM deliveries AS d WHERE d.run_id = a.run_id
                      AND d.model = a.model AND d.msg_id = a.msg_id)
)
SELECT p.run_id, p.model, p.msg_id, p.host,
       coalesce((SELECT max(coalesce(
                    (SELECT x.state != 'DOWN' FROM host_states AS x
                     WHERE x.run_id = p.run_id AND x.model = p.model AND x.host = h.host
                       AND x.trace_seq < p.first_seq
                     ORDER BY x.trace_seq DESC LIMIT 1), 0))
                 FROM hosts AS h
                 WHERE h.run_id = p.run_id AND (p.host IS NULL OR h.host = p.host)), 0)
           AS receiver_up,
       (SELECT r.cause FROM drops AS r WHERE r.run_id = p.run_id AND r.model = p.model
          AND r.msg_id = p.msg_id AND (r.host IS NULL OR p.host IS NULL OR r.host = p.host)
        ORDER BY r.trace_seq LIMIT 1) AS cause,
       (SELECT r.detail FROM drops AS r WHERE r.run_id = p.run_id AND r.model = p.model
          AND r.msg_id = p.msg_id AND (r.host IS NULL OR p.host IS NULL OR r.host = p.host)
        ORDER BY r.trace_seq LIMIT 1) AS detail
FROM pairs AS p;

-- ---- coordination recipes (docs/recipes.md) -----------------------------------------------

-- The scenario's recipes as the run ran them: one row per recipe whose backend model ran.
CREATE TABLE recipes (
    run_id      INTEGER NOT NULL,
    recipe      INTEGER NOT NULL,  -- position in the scenario's `recipe:` list, from 0
    model       TEXT NOT NULL,     -- the backend it runs over
    kind        TEXT NOT NULL,     -- lock, election, registry
    clients     INTEGER NOT NULL,  -- c1..cN run it
    hold_ns     INTEGER NOT NULL,
    fencing     INTEGER NOT NULL CHECK (fencing IN (0, 1)),
    PRIMARY KEY (run_id, recipe)
);

-- When each recipe client began (holding = 1) or stopped (0) believing it held the lock or
-- led. reason: acquired, released, suspended (its connection was lost), expired (its session
-- ended). A client whose machine crashes stops believing at the crash, which has no row
-- here: recipe_intervals ends it at the `faults` row.
CREATE TABLE recipe_holds (
    run_id     INTEGER NOT NULL,
    trace_seq  INTEGER NOT NULL,
    model      TEXT NOT NULL,
    recipe     INTEGER NOT NULL,
    t_ns       INTEGER NOT NULL,
    client     TEXT NOT NULL,      -- 'c<n>'
    holding    INTEGER NOT NULL CHECK (holding IN (0, 1)),
    reason     TEXT NOT NULL,
    token      INTEGER NOT NULL    -- its fencing token (ZooKeeper: its lock node's czxid)
);
CREATE INDEX recipe_holds_by_client ON recipe_holds (run_id, model, recipe, client, trace_seq);

-- Every write the protected resource received: accepted, or refused as fenced out (with
-- fencing on, a token below the highest accepted, or equal to it from another client).
CREATE TABLE resource_writes (
    run_id     INTEGER NOT NULL,
    trace_seq  INTEGER NOT NULL,
    model      TEXT NOT NULL,
    recipe     INTEGER NOT NULL,
    t_ns       INTEGER NOT NULL,
    client     TEXT NOT NULL,
    token      INTEGER NOT NULL,
    accepted   INTEGER NOT NULL CHECK (accepted IN (0, 1))
);
CREATE INDEX resource_writes_by_recipe ON resource_writes (run_id, model, recipe, trace_seq);

-- A registry recipe's views: when each observer began (listed = 1) or stopped (0) listing a
-- service instance (a recipe client) as registered.
CREATE TABLE registry_views (
    run_id     INTEGER NOT NULL,
    trace_seq  INTEGER NOT NULL,
    model      TEXT NOT NULL,
    recipe     INTEGER NOT NULL,
    t_ns       INTEGER NOT NULL,
    observer   TEXT NOT NULL,      -- 'c<n>'
    instance   TEXT NOT NULL,      -- 'c<n>'
    listed     INTEGER NOT NULL CHECK (listed IN (0, 1))
);
CREATE INDEX registry_views_by_pair ON registry_views (run_id, model, recipe, observer,
                                                        instance, trace_seq);

-- The recipe clients of each run ('c<n>'), for matching them in a fault's target, which
-- lists every machine it hit ('h1,c4'): a client is hit when instr(',' || target || ',',
-- ',' || client || ',') > 0.
CREATE VIEW recipe_clients AS
SELECT run_id, client FROM recipe_holds
UNION SELECT run_id, observer FROM registry_views
UNION SELECT run_id, instance FROM registry_views;

-- When each recipe client's machine was dead: from a crash or power-off of it to its next
-- restart, or to the end of the run.
CREATE VIEW client_deaths AS
SELECT f.run_id, c.client, f.t_ns AS start_ns,
       coalesce((SELECT min(x.t_ns) FROM faults AS x
                 WHERE x.run_id = f.run_id AND x.kind = 'restart' AND x.trace_seq > f.trace_seq
                   AND instr(',' || x.target || ',', ',' || c.client || ',') > 0),
                r.duration_ns) AS end_ns
FROM faults AS f JOIN runs AS r ON r.run_id = f.run_id
JOIN recipe_clients AS c ON c.run_id = f.run_id
 AND instr(',' || f.target || ',', ',' || c.client || ',') > 0
WHERE f.kind IN ('crash', 'power_off');

-- Each time an observer listed an instance: from its listed = 1 row to the next row of the
-- same pair, or the observer's own death, or the end of the run.
CREATE VIEW registry_intervals AS
SELECT v.run_id, v.model, v.recipe, v.observer, v.instance, v.t_ns AS start_ns,
       min(coalesce((SELECT min(e.t_ns) FROM registry_views AS e
                     WHERE e.run_id = v.run_id AND e.model = v.model AND e.recipe = v.recipe
                       AND e.observer = v.observer AND e.instance = v.instance
                       AND e.trace_seq > v.trace_seq), r.duration_ns),
           coalesce((SELECT min(d.start_ns) FROM client_deaths AS d
                     WHERE d.run_id = v.run_id AND d.client = v.observer
                       AND d.start_ns >= v.t_ns), r.duration_ns)) AS end_ns
FROM registry_views AS v JOIN runs AS r ON r.run_id = v.run_id
WHERE v.listed = 1;

-- Each time a recipe client believed it held: from its holding = 1 row to the next row of
-- the same client saying it stopped, or to a crash or power-off of its machine, or to the
-- end of the run, whichever comes first.
CREATE VIEW recipe_intervals AS
SELECT h.run_id, h.model, h.recipe, h.client, h.token, h.t_ns AS start_ns,
       min(coalesce((SELECT min(e.t_ns) FROM recipe_holds AS e
                     WHERE e.run_id = h.run_id AND e.model = h.model AND e.recipe = h.recipe
                       AND e.client = h.client AND e.trace_seq > h.trace_seq
                       AND e.holding = 0), r.duration_ns),
           coalesce((SELECT min(f.t_ns) FROM faults AS f
                     WHERE f.run_id = h.run_id AND f.kind IN ('crash', 'power_off')
                       AND instr(',' || f.target || ',', ',' || h.client || ',') > 0
                       AND f.trace_seq > h.trace_seq), r.duration_ns),
           r.duration_ns) AS end_ns
FROM recipe_holds AS h JOIN runs AS r ON r.run_id = h.run_id
WHERE h.holding = 1;

-- The writes recipe_summary counts as exclusion_violations, each with its row: accepted after
-- the resource had accepted one from another client with a newer (or the same) token. The
-- report marks them on its recipe charts from here, so chart and count cannot disagree.
CREATE VIEW recipe_violations AS
SELECT w.run_id, w.model, w.recipe, w.trace_seq, w.t_ns, w.client, w.token
FROM resource_writes AS w
WHERE w.accepted = 1 AND EXISTS (
    SELECT 1 FROM resource_writes AS p
    WHERE p.run_id = w.run_id AND p.model = w.model AND p.recipe = w.recipe
      AND p.accepted = 1 AND p.trace_seq < w.trace_seq AND p.client <> w.client
      AND p.token >= w.token);

-- The spans during which two or more clients of a recipe believed they held at once, with how
-- many did (holders); recipe_summary's overlap_ns is their total length.
CREATE VIEW recipe_overlaps AS
WITH edges AS (
    SELECT run_id, model, recipe, start_ns AS t_ns, 1 AS d FROM recipe_intervals
    UNION ALL
    SELECT run_id, model, recipe, end_ns, -1 FROM recipe_intervals
),
running AS (
    -- at equal times an end comes before a start: touching intervals do not overlap
    SELECT run_id, model, recipe, t_ns,
           sum(d) OVER (PARTITION BY run_id, model, recipe ORDER BY t_ns, d
                        ROWS UNBOUNDED PRECEDING) AS holders,
           lead(t_ns) OVER (PARTITION BY run_id, model, recipe ORDER BY t_ns, d) AS next_ns
    FROM edges
)
SELECT run_id, model, recipe, t_ns AS start_ns, next_ns AS end_ns, holders
FROM running
WHERE holders >= 2 AND next_ns > t_ns;

-- The parts of registry listings during which the listed instance's machine was dead
-- (registry_intervals x client_deaths); recipe_summary's stale_ns is their total length.
CREATE VIEW registry_stale AS
SELECT i.run_id, i.model, i.recipe, i.observer, i.instance,
       max(i.start_ns, d.start_ns) AS start_ns, min(i.end_ns, d.end_ns) AS end_ns
FROM registry_intervals AS i JOIN client_deaths AS d
  ON d.run_id = i.run_id AND d.client = i.instance
WHERE min(i.end_ns, d.end_ns) > max(i.start_ns, d.start_ns);

-- One row per run and recipe (docs/recipes.md defines each measure):
--   exclusion_violations: writes the resource accepted from a client after it had accepted
--     one from another client holding a newer (or the same) token: two holders' writes
--     interleaved. With fencing the resource refuses exactly these.
--   overlap_ns: time during which two or more clients believed they held it.
--   failover_ns: the longest time from a fault on the machine of a client that held it
--     (crash, power_off, pause, isolate) to the first write another client had accepted;
--     NULL when no fault hit a holder.
--   acquisitions, writes_accepted, writes_refused, exclusion_violations and overlap_ns are
--   NULL for a registry.
--   stale_ns: registry entries pointing at a dead service, summed over time: for every
--     observer and instance, the time the observer listed the instance while the instance's
--     machine was dead (registry_intervals x client_deaths); NULL for a lock or an election.
CREATE VIEW recipe_summary AS
WITH overlaps AS (
    SELECT run_id, model, recipe, sum(end_ns - start_ns) AS overlap_ns
    FROM recipe_overlaps GROUP BY run_id, model, recipe
),
violations AS (
    SELECT run_id, model, recipe, count(*) AS n
    FROM recipe_violations GROUP BY run_id, model, recipe
),
holder_faults AS (
    SELECT i.run_id, i.model, i.recipe, i.client, f.t_ns
    FROM faults AS f JOIN recipe_intervals AS i
      ON i.run_id = f.run_id AND instr(',' || f.target || ',', ',' || i.client || ',') > 0
     AND f.t_ns >= i.start_ns
     -- a crash ends the interval it hits, at its own time
     AND (f.t_ns < i.end_ns OR (f.t_ns = i.end_ns AND f.kind IN ('crash', 'power_off')))
    WHERE f.kind IN ('crash', 'power_off', 'pause', 'isolate')
),
stale AS (
    SELECT run_id, model, recipe, sum(end_ns - start_ns) AS stale_ns
    FROM registry_stale GROUP BY run_id, model, recipe
),
failovers AS (
    SELECT hf.run_id, hf.model, hf.recipe,
           max((SELECT min(w.t_ns) FROM resource_writes AS w
                WHERE w.run_id = hf.run_id AND w.model = hf.model AND w.recipe = hf.recipe
                  AND w.accepted = 1 AND w.client <> hf.client AND w.t_ns >= hf.t_ns)
               - hf.t_ns) AS failover_ns
    FROM holder_faults AS hf GROUP BY hf.run_id, hf.model, hf.recipe
)
SELECT c.run_id, c.model, c.recipe, c.kind, c.fencing, c.clients,
       CASE WHEN c.kind <> 'registry' THEN
           (SELECT count(*) FROM recipe_holds AS h WHERE h.run_id = c.run_id
              AND h.model = c.model AND h.recipe = c.recipe AND h.holding = 1) END
           AS acquisitions,
       CASE WHEN c.kind <> 'registry' THEN
           (SELECT count(*) FROM resource_writes AS w WHERE w.run_id = c.run_id
              AND w.model = c.model AND w.recipe = c.recipe AND w.accepted = 1) END
           AS writes_accepted,
       CASE WHEN c.kind <> 'registry' THEN
           (SELECT count(*) FROM resource_writes AS w WHERE w.run_id = c.run_id
              AND w.model = c.model AND w.recipe = c.recipe AND w.accepted = 0) END
           AS writes_refused,
       CASE WHEN c.kind <> 'registry' THEN coalesce(v.n, 0) END AS exclusion_violations,
       CASE WHEN c.kind <> 'registry' THEN coalesce(o.overlap_ns, 0) END AS overlap_ns,
       f.failover_ns,
       CASE c.kind WHEN 'registry' THEN coalesce(st.stale_ns, 0) END AS stale_ns
FROM recipes AS c
LEFT JOIN violations AS v ON v.run_id = c.run_id AND v.model = c.model AND v.recipe = c.recipe
LEFT JOIN overlaps AS o ON o.run_id = c.run_id AND o.model = c.model AND o.recipe = c.recipe
LEFT JOIN failovers AS f ON f.run_id = c.run_id AND f.model = c.model AND f.recipe = c.recipe
LEFT JOIN stale AS st ON st.run_id = c.run_id AND st.model = c.model AND st.recipe = c.recipe
ORDER BY c.run_id, c.recipe;
