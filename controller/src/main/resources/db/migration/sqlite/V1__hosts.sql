-- hosts
-- One row per host whose agent has registered. Host names compare
-- case-insensitively, as Windows does, so they are stored in lower case.
CREATE TABLE hosts (
  name              TEXT    NOT NULL PRIMARY KEY
                            CHECK (name <> '' AND name = lower(name)),
  -- Serialized failback.v1.HostInventory of the latest registration.
  inventory         BLOB    NOT NULL,
  -- Time of the latest registration.
  registered_at     INTEGER NOT NULL,
  -- Time of the latest registration or heartbeat.
  last_seen         INTEGER NOT NULL,
  remote_address    TEXT    NOT NULL,
  -- Changes whenever the agent process restarts.
  agent_instance_id TEXT    NOT NULL
) STRICT;
