-- protected items, jobs and sync checkpoints
-- One row per VM under Failback's care. VM ids compare case-insensitively:
-- Hyper-V tools print the same GUID in upper or lower case.
CREATE TABLE protected_items (
  vm_id      TEXT    NOT NULL PRIMARY KEY COLLATE NOCASE CHECK (vm_id <> ''),
  -- Serialized failback.v1.ProtectedItem; the source of truth.
  item       BLOB    NOT NULL,
  -- The item's ProtectionState name, copied out for queries and sqlite3 shells.
  state      TEXT    NOT NULL CHECK (state <> ''),
  updated_at INTEGER NOT NULL
) STRICT;

-- One row per job, finished or not; ListJobs sorts them by age.
CREATE TABLE jobs (
  job_id     TEXT    NOT NULL PRIMARY KEY CHECK (job_id <> ''),
  -- Serialized failback.v1.Job; the source of truth.
  job        BLOB    NOT NULL,
  -- The job's JobState name, so that a restart finds unfinished jobs by index.
  state      TEXT    NOT NULL CHECK (state <> ''),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) STRICT;
CREATE INDEX jobs_by_state ON jobs (state);
CREATE INDEX jobs_by_created_at ON jobs (created_at);

-- The durable resume point of each lane of a block sync session.
CREATE TABLE sync_checkpoints (
  session_id TEXT    NOT NULL CHECK (session_id <> ''),
  lane       INTEGER NOT NULL CHECK (lane >= 0),
  -- First block not yet acknowledged as durable by the target.
  watermark  INTEGER NOT NULL CHECK (watermark >= 0),
  -- Digest chain of the blocks below the watermark.
  chain      BLOB    NOT NULL,
  PRIMARY KEY (session_id, lane)
) STRICT;
