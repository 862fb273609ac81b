-- bandwidth limits
-- What operators set at run time, one row per scope: the whole controller ('global',
-- name ''), a host (name: the host, lower case) or a job (name: the job id). A recovery
-- plan's limit lives in the plan. The schedule is the operator's text (e.g.
-- 'Mon-Fri 08:00-18:00=100Mbit/s, unlimited'), checked before it is stored and parsed
-- again when read.
CREATE TABLE bandwidth_limits (
  scope      TEXT    NOT NULL CHECK (scope IN ('global', 'host', 'job')),
  name       TEXT    NOT NULL CHECK (name = lower(name)),
  schedule   TEXT    NOT NULL CHECK (schedule <> ''),
  set_by     TEXT    NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (scope, name)
) STRICT;
