-- the controller lease
-- One row: which controller is active. It holds the lease until expires_at and renews it;
-- another takes it over only once it expired, with the next term. Every transaction of the
-- active controller checks that the term is still its own, so a controller that lost the
-- lease (paused, cut off) cannot write after the standby took over.
CREATE TABLE controller_lease (
  id         INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
  term       INTEGER NOT NULL CHECK (term >= 1),
  -- The holder's instance id, new for every controller process.
  holder     TEXT    NOT NULL,
  -- Where agents and operators reach the holder (host:port).
  address    TEXT    NOT NULL,
  -- The cloud the holder drives; a standby must drive the same one.
  cloud      TEXT    NOT NULL,
  acquired_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
) STRICT;
