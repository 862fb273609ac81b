-- protected items, jobs and sync checkpoints
-- One row per VM under Failback's care. VM ids compare case-insensitively:
-- Hyper-V tools print the same GUID in upper or lower case. The id keeps the
-- spelling it was protected with; the unique index on lower(vm_id) makes a
-- second spelling a conflict, as COLLATE NOCASE does on SQLite.
CREATE TABLE protected_items (
  vm_id      TEXT   NOT NULL PRIMARY KEY CHECK (vm_id <> ''),
  -- Serialized failback.v1.ProtectedItem; the source of truth.
  item       BYTEA  NOT NULL,
  -- The item's ProtectionState name, copied out for queries and psql shells.
  state      TEXT   NOT NULL CHECK (state <> ''),
  updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX protected_items_caseless ON protected_items (lower(vm_id));

-- One row per job, finished or not; ListJobs sorts them by age.
CREATE TABLE jobs (
  job_id     TEXT   NOT NULL PRIMARY KEY CHECK (job_id <> ''),
  -- Serialized failback.v1.Job; the source of truth.
  job        BYTEA  NOT NULL,
  -- The job's JobState name, so that a restart finds unfinished jobs by index.
  state      TEXT   NOT NULL CHECK (state <> ''),
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  -- Insertion order, for jobs created in the same millisecond (SQLite's rowid).
  seq        BIGINT GENERATED ALWAYS AS IDENTITY
);
CREATE INDEX jobs_by_state ON jobs (state);
CREATE INDEX jobs_by_created_at ON jobs (created_at);

-- The durable resume point of each lane of a block sync session.
CREATE TABLE sync_checkpoints (
  session_id TEXT    NOT NULL CHECK (session_id <> ''),
  lane       INTEGER NOT NULL CHECK (lane >= 0),
  -- First block not yet acknowledged as durable by the target.
  watermark  BIGINT  NOT NULL CHECK (watermark >= 0),
  -- Digest chain of the blocks below the watermark.
  chain      BYTEA   NOT NULL,
  PRIMARY KEY (session_id, lane)
);
