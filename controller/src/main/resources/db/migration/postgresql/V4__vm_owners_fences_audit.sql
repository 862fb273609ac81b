-- VM ownership, host fences and the audit trail
-- Which host owns each VM id: the first to report it. Another host reporting
-- the same id is a conflict, never a takeover; only an operator moves a VM.
CREATE TABLE vm_owners (
  vm_id      TEXT   NOT NULL PRIMARY KEY CHECK (vm_id = lower(vm_id)),
  host_name  TEXT   NOT NULL CHECK (host_name = lower(host_name)),
  claimed_at BIGINT NOT NULL
);
CREATE INDEX vm_owners_by_host ON vm_owners (host_name);

-- A VM id a host reported although another host owns it; kept out of that
-- host's stored inventory until an operator moves the VM or the report stops.
CREATE TABLE vm_conflicts (
  vm_id       TEXT   NOT NULL CHECK (vm_id = lower(vm_id)),
  host_name   TEXT   NOT NULL CHECK (host_name = lower(host_name)),
  vm_name     TEXT   NOT NULL,
  first_seen  BIGINT NOT NULL,
  last_seen   BIGINT NOT NULL,
  PRIMARY KEY (vm_id, host_name)
);

-- Hosts an operator fenced: their agents are refused whatever their certificate.
-- Kept when the host is removed, so that a removed host stays out.
CREATE TABLE host_fences (
  host_name TEXT   NOT NULL PRIMARY KEY CHECK (host_name = lower(host_name)),
  fenced_at BIGINT NOT NULL,
  actor     TEXT   NOT NULL,
  reason    TEXT   NOT NULL
);

-- Append-only: who changed what. Nothing in the API updates or deletes a row,
-- and the triggers refuse it to anyone who tries in SQL (TRUNCATE included).
CREATE TABLE audit_events (
  id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at          BIGINT NOT NULL,
  actor       TEXT   NOT NULL,
  fingerprint TEXT   NOT NULL,
  action      TEXT   NOT NULL,
  target      TEXT   NOT NULL,
  detail      TEXT   NOT NULL
);
CREATE INDEX audit_events_by_target ON audit_events (target);
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit events are append-only';
END;
$$;
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
  FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();
