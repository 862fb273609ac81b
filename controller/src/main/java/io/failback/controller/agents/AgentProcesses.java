package io.failback.controller.agents;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Which agent process (instance id) registered each host last, and the highest control-stream
 * sequence it registered with. Not thread-safe: the registry holds its lock.
 */
final class AgentProcesses {
  private record Process(String instanceId, long latestStream) {}

  private final Map<String, Process> byHost = new HashMap<>();

  /**
   * Whether the process {@code instanceId} already registered {@code host} on a later stream
   * than {@code sequence}. A move opens the next stream before the controller answered the
   * current one, so their Registers can arrive in either order. 0 (an agent that does not
   * count its streams) is never overtaken: arrival order decides, as before.
   */
  boolean overtaken(String host, String instanceId, long sequence) {
    Process latest = byHost.get(host);
    return sequence > 0 && latest != null && latest.instanceId().equals(instanceId)
        && sequence < latest.latestStream();
  }

  /** Records a registration; returns the process that registered {@code host} before it. */
  Optional<String> registered(String host, String instanceId, long sequence) {
    Process before = byHost.get(host);
    boolean same = before != null && before.instanceId().equals(instanceId);
    byHost.put(host, new Process(instanceId,
        same ? Math.max(before.latestStream(), sequence) : sequence));
    return Optional.ofNullable(before).map(Process::instanceId);
  }

  /** The latest stream sequence {@code host} registered with. */
  long latestStream(String host) {
    return Optional.ofNullable(byHost.get(host)).map(Process::latestStream).orElse(0L);
  }

  Optional<String> instance(String host) {
    return Optional.ofNullable(byHost.get(host)).map(Process::instanceId);
  }
}
