package io.failback.controller.store;

import static java.util.Objects.requireNonNull;

import io.failback.proto.v1.HostInventory;
import java.time.Instant;

/**
 * A registered host as the store keeps it.
 *
 * @param name the host name in lower case
 * @param inventory the inventory of the latest registration
 * @param registeredAt the time of the latest registration, to the millisecond
 * @param lastSeen the time of the latest registration or heartbeat, to the millisecond
 * @param remoteAddress the remote address of the latest registration's control connection
 * @param agentInstanceId the id of the agent process that registered last
 */
public record StoredHost(
    String name,
    HostInventory inventory,
    Instant registeredAt,
    Instant lastSeen,
    String remoteAddress,
    String agentInstanceId) {

  public StoredHost {
    requireNonNull(name, "name");
    requireNonNull(inventory, "inventory");
    requireNonNull(registeredAt, "registeredAt");
    requireNonNull(lastSeen, "lastSeen");
    requireNonNull(remoteAddress, "remoteAddress");
    requireNonNull(agentInstanceId, "agentInstanceId");
  }
}
