-- recovery plans
-- One row per recovery plan. Names compare case-insensitively, so 'Web' and
-- 'web' cannot both exist; a plan keeps the spelling it was created with.
CREATE TABLE recovery_plans (
  name       TEXT    NOT NULL PRIMARY KEY COLLATE NOCASE CHECK (name <> ''),
  -- Serialized failback.v1.RecoveryPlan; the source of truth.
  plan       BLOB    NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) STRICT;
