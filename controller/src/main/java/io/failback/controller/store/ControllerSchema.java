package io.failback.controller.store;

import java.util.List;

/** The controller's schema as the ordered list of its migrations. */
final class ControllerSchema {

  /**
   * Every migration, in version order starting at 1.
   *
   * <p>Times are epoch milliseconds (UTC). Tables are {@code STRICT} so that a value of the
   * wrong type is an error instead of being stored as something else.
   */
  static final List<Migration> MIGRATIONS =
      List.of(
          new Migration(
              1,
              "hosts",
              """
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
              """),
          new Migration(
              2,
              "protected items, jobs and sync checkpoints",
              """
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
              """),
          new Migration(
              3,
              "recovery plans",
              """
              -- One row per recovery plan. Names compare case-insensitively, so 'Web' and
              -- 'web' cannot both exist; a plan keeps the spelling it was created with.
              CREATE TABLE recovery_plans (
                name       TEXT    NOT NULL PRIMARY KEY COLLATE NOCASE CHECK (name <> ''),
                -- Serialized failback.v1.RecoveryPlan; the source of truth.
                plan       BLOB    NOT NULL,
                created_at INTEGER NOT NULL,
                updated_at INTEGER NOT NULL
              ) STRICT;
              """),
          new Migration(
              4,
              "VM ownership, host fences and the audit trail",
              """
              -- Which host owns each VM id: the first to report it. Another host reporting
              -- the same id is a conflict, never a takeover; only an operator moves a VM.
              CREATE TABLE vm_owners (
                vm_id      TEXT    NOT NULL PRIMARY KEY CHECK (vm_id = lower(vm_id)),
                host_name  TEXT    NOT NULL CHECK (host_name = lower(host_name)),
                claimed_at INTEGER NOT NULL
              ) STRICT;
              CREATE INDEX vm_owners_by_host ON vm_owners (host_name);

              -- A VM id a host reported although another host owns it; kept out of that
              -- host's stored inventory until an operator moves the VM or the report stops.
              CREATE TABLE vm_conflicts (
                vm_id       TEXT    NOT NULL CHECK (vm_id = lower(vm_id)),
                host_name   TEXT    NOT NULL CHECK (host_name = lower(host_name)),
                vm_name     TEXT    NOT NULL,
                first_seen  INTEGER NOT NULL,
                last_seen   INTEGER NOT NULL,
                PRIMARY KEY (vm_id, host_name)
              ) STRICT;

              -- Hosts an operator fenced: their agents are refused whatever their certificate.
              -- Kept when the host is removed, so that a removed host stays out.
              CREATE TABLE host_fences (
                host_name TEXT    NOT NULL PRIMARY KEY CHECK (host_name = lower(host_name)),
                fenced_at INTEGER NOT NULL,
                actor     TEXT    NOT NULL,
                reason    TEXT    NOT NULL
              ) STRICT;

              -- Append-only: who changed what. Nothing in the API updates or deletes a row.
              CREATE TABLE audit_events (
                id          INTEGER PRIMARY KEY AUTOINCREMENT,
                at          INTEGER NOT NULL,
                actor       TEXT    NOT NULL,
                fingerprint TEXT    NOT NULL,
                action      TEXT    NOT NULL,
                target      TEXT    NOT NULL,
                detail      TEXT    NOT NULL
              ) STRICT;
              CREATE INDEX audit_events_by_target ON audit_events (target);
              CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
                BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
              CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
                BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
              """),
          new Migration(
              5,
              "enrollment tokens",
              """
              -- One-time tokens an agent trades for its first certificate. Only the SHA-256 of
              -- a token is kept: the database never holds a usable token.
              CREATE TABLE enrollment_tokens (
                token_hash TEXT    NOT NULL PRIMARY KEY,
                host_name  TEXT    NOT NULL CHECK (host_name = lower(host_name)),
                created_at INTEGER NOT NULL,
                expires_at INTEGER NOT NULL,
                created_by TEXT    NOT NULL,
                -- Set when redeemed; a used token is refused.
                used_at    INTEGER
              ) STRICT;
              """));

  /** The schema version this build creates and understands. */
  static final int LATEST_VERSION = MIGRATIONS.size();

  private ControllerSchema() {}
}
