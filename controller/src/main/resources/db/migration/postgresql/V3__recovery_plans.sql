-- recovery plans
-- One row per recovery plan. Names compare case-insensitively, so 'Web' and
-- 'web' cannot both exist; a plan keeps the spelling it was created with.
CREATE TABLE recovery_plans (
  name       TEXT   NOT NULL PRIMARY KEY CHECK (name <> ''),
  -- Serialized failback.v1.RecoveryPlan; the source of truth.
  plan       BYTEA  NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX recovery_plans_caseless ON recovery_plans (lower(name));
