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
              """));

  /** The schema version this build creates and understands. */
  static final int LATEST_VERSION = MIGRATIONS.size();

  private ControllerSchema() {}
}
