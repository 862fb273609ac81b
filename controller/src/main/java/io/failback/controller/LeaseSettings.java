package io.failback.controller;

import java.time.Duration;

/**
 * How controllers sharing one store decide which one is active.
 *
 * @param advertiseAddress where agents and operators reach this controller when active, for
 *     the others to name; empty for this machine's name and the listen port
 * @param ttl how long a lease lasts unrenewed: the longest a takeover waits for a dead active
 * @param exitWhenLost whether the process exits (status 75) when another controller took the
 *     lease over, for its service manager to start it again as a standby; false only in tests
 */
public record LeaseSettings(String advertiseAddress, Duration ttl, boolean exitWhenLost) {
  public static final LeaseSettings DEFAULTS = new LeaseSettings("", Duration.ofSeconds(15),
      false);
}
