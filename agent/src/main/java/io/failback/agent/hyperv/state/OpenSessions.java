package io.failback.agent.hyperv.state;

import java.io.IOException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The sync sessions of each VM open on this agent, and the VMs being released. A release is
 * refused while a session of its VM is open, and a session of a VM being released is refused:
 * a release must neither discard a read point a session reads nor race one a session makes.
 */
public final class OpenSessions {
  /** Open sessions by lower-case VM id. */
  private final Map<String, Integer> open = new HashMap<>();
  /** Lower-case ids of the VMs being released now. */
  private final Set<String> releasing = new HashSet<>();

  /** What {@link #session} and {@link #release} hold until it is closed. */
  public interface Handle extends AutoCloseable {
    @Override
    void close();
  }

  /**
   * A sync session of VM {@code vmId} is open until the handle is closed.
   *
   * @throws IOException while the VM is being released
   */
  public synchronized Handle session(String vmId) throws IOException {
    String key = key(vmId);
    if (releasing.contains(key)) {
      throw new IOException("VM " + vmId + " is being released (Failback's protection of it"
          + " ended); no sync session of it runs now");
    }
    open.merge(key, 1, Integer::sum);
    return () -> ended(key);
  }

  /**
   * VM {@code vmId} is being released until the handle is closed.
   *
   * @throws IOException while a sync session of the VM is open, or another release of it runs
   */
  public synchronized Handle release(String vmId) throws IOException {
    String key = key(vmId);
    int sessions = open.getOrDefault(key, 0);
    if (sessions > 0) {
      throw new IOException(sessions + " sync session(s) of VM " + vmId + " are open on this"
          + " agent; nothing was released: end them (cancel the VM's job) and release again");
    }
    if (!releasing.add(key)) {
      throw new IOException("VM " + vmId + " is being released already");
    }
    return () -> released(key);
  }

  private synchronized void ended(String key) {
    open.computeIfPresent(key, (k, n) -> n == 1 ? null : n - 1);
  }

  private synchronized void released(String key) {
    releasing.remove(key);
  }

  private static String key(String vmId) {
    return vmId.toLowerCase(Locale.ROOT);
  }
}
