package io.failback.agent.hyperv.state;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BiPredicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Read points of source sessions that failed before their end, kept for the job's continued
 * session instead of discarded.
 *
 * <p>Why: a controller that restarts or takes over continues a replication from the lanes' last
 * durable checkpoints, which describe the disk as one read point froze it. Only that read point
 * can supply the rest; a new one is another moment, and the blocks below the checkpoints would
 * not match it, so without it the pass starts over comparing checksums. A kept read point costs
 * the host what any read point does (on Hyper-V the guest writes into a checkpoint's
 * differencing file), so it is kept for {@link #KEEP} at most, and ended at once when a session
 * of the same VM under another token begins (a new moment is wanted then).
 *
 * <p>Keyed by the controller's token (job, VM, pass) and the disk: each disk's session holds its
 * own share ({@link ReadPoints.Lease}) of the VM's read point.
 */
public final class ParkedReadPoints implements AutoCloseable {
  /** Longer than a controller takes to restart or a standby to take over, with margin. */
  public static final Duration KEEP = Duration.ofMinutes(15);
  /** How long a continued session waits for the session it continues to end and park. */
  static final Duration AWAIT_ENDING = Duration.ofSeconds(60);
  private static final Logger log = LoggerFactory.getLogger(ParkedReadPoints.class);

  /** A continued session found no read point kept under its token. */
  public static final class GoneException extends java.io.IOException {
    public GoneException(String message) {
      super(message);
    }
  }

  private record Key(String token, String diskPath) { }

  private record Parked(String vmId, ReadPoints.Lease lease, ScheduledFuture<?> expiry) { }

  private final Duration keep;
  private final Map<Key, Parked> parked = new HashMap<>();
  /** The agent stops: nothing is parked any more. */
  private boolean closed;
  /** Sessions under a token running now: a continued one waits for them to end. */
  private final Map<Key, Integer> running = new HashMap<>();
  /**
   * Shares of sessions that read their disk to its end and wait for the VM's other sessions
   * to end the read point: a continued session of that disk joins the same read point.
   */
  private final Map<Key, ReadPoints.Lease> finished = new HashMap<>();
  /** The tokens of each VM's sessions running now, by VM id in lower case. */
  private final Map<String, Map<String, Integer>> tokensOf = new HashMap<>();
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread thread = new Thread(r, "parked-read-points");
    thread.setDaemon(true);
    return thread;
  });

  public ParkedReadPoints() {
    this(KEEP);
  }

  ParkedReadPoints(Duration keep) {
    this.keep = keep;
  }

  /**
   * A session of VM {@code vmId} under {@code token} starts reading {@code diskPath}; nothing
   * without a token.
   */
  public synchronized void started(String vmId, String token, String diskPath) {
    if (token.isEmpty()) {
      return;
    }
    running.merge(new Key(token, diskPath), 1, Integer::sum);
    tokensOf.computeIfAbsent(vmId.toLowerCase(Locale.ROOT), vm -> new HashMap<>())
        .merge(token, 1, Integer::sum);
  }

  /**
   * The session under {@code token} read {@code diskPath} to its end and now waits, with
   * {@code lease}, for the VM's other sessions to end the read point.
   */
  public synchronized void finished(String token, String diskPath, ReadPoints.Lease lease) {
    if (token.isEmpty()) {
      return;
    }
    finished.put(new Key(token, diskPath), lease);
    notifyAll();
  }

  /** The session has ended, parked or not. */
  public synchronized void ended(String vmId, String token, String diskPath) {
    tokensOf.computeIfPresent(vmId.toLowerCase(Locale.ROOT), (vm, tokens) -> {
      tokens.computeIfPresent(token, (t, n) -> n == 1 ? null : n - 1);
      return tokens.isEmpty() ? null : tokens;
    });
    Key key = new Key(token, diskPath);
    if (running.computeIfPresent(key, (k, n) -> n == 1 ? null : n - 1) == null) {
      finished.remove(key);
    }
    notifyAll();
  }

  /**
   * Keeps {@code lease} (of VM {@code vmId}, read by a session under {@code token} that failed)
   * until a session continues it, or {@link #KEEP} passes, or another token's session of the VM
   * begins.
   */
  public void park(String vmId, String token, String diskPath, ReadPoints.Lease lease) {
    Key key = new Key(token, diskPath);
    boolean unwanted;
    boolean stopping;
    Parked before = null;
    synchronized (this) {
      stopping = closed;
      // A session of the VM under another token began meanwhile (a new job, a cycle): it wants
      // its own moment, and a kept share would hold this one open under it.
      // Closed: the agent stops, and a session it stopped keeps nothing for a next one.
      unwanted = stopping || tokensOf.getOrDefault(vmId.toLowerCase(Locale.ROOT), Map.of())
          .keySet().stream().anyMatch(other -> !other.equals(token));
      if (!unwanted) {
        ScheduledFuture<?> expiry = timer.schedule(() -> expire(key), keep.toMillis(),
            TimeUnit.MILLISECONDS);
        before = parked.put(key, new Parked(vmId, lease, expiry));
        notifyAll();
      }
    }
    if (unwanted) {
      log.info("read point of VM " + vmId + " not kept under " + token + " for disk "
          + diskPath + (stopping ? ": the agent stops"
          : ": a session of the VM under another token runs"));
      lease.close(); // outside the monitor: ending a read point may take the host a while
      return;
    }
    if (before != null) {
      end(before);
    }
    log.info("read point of VM " + vmId + " kept for " + keep.toMinutes() + " min under "
        + token + " for disk " + diskPath + ": its session ended early, the job may continue it");
  }

  /**
   * The share parked under {@code token} for {@code diskPath}, once the session that read it
   * has ended (waiting for it a while), or a share in the read point of the session that read
   * the disk to its end and waits for the read point to end; empty when there is neither.
   */
  public Optional<ReadPoints.Lease> take(String token, String diskPath)
      throws InterruptedException {
    Key key = new Key(token, diskPath);
    synchronized (this) {
      awaitEnd(key);
      Parked found = parked.remove(key);
      if (found == null) {
        ReadPoints.Lease done = finished.get(key);
        return done == null ? Optional.empty() : done.another();
      }
      found.expiry().cancel(false);
      return Optional.of(found.lease());
    }
  }

  /**
   * Ends what a new session of VM {@code vmId} for {@code diskPath} under {@code token} has no
   * use for: shares parked under other tokens (a new moment is wanted), and, unless it continues
   * one, the share parked for its own disk, once the session it continues has ended (waiting
   * for it a while): that share would keep the read point open, and the session, done, would
   * wait for it to end.
   */
  public void endUnwanted(String vmId, String token, String diskPath, boolean continuing)
      throws InterruptedException {
    List<Parked> ending = new ArrayList<>();
    synchronized (this) {
      if (!continuing && !token.isEmpty()) {
        awaitEnd(new Key(token, diskPath));
      }
      ending.addAll(unpark((key, found) -> found.vmId().equalsIgnoreCase(vmId)
          && (!key.token().equals(token) || !continuing && key.diskPath().equals(diskPath))));
    }
    ending.forEach(ParkedReadPoints::end);
  }

  /**
   * Ends every share parked for VM {@code vmId}, whose protection ended; returns the ids of
   * the read points they held. The last share of a read point to end discards it.
   */
  public Set<String> endAll(String vmId) {
    List<Parked> ending;
    synchronized (this) {
      ending = unpark((key, found) -> found.vmId().equalsIgnoreCase(vmId));
    }
    ending.forEach(ParkedReadPoints::end);
    Set<String> ids = new LinkedHashSet<>();
    ending.forEach(found -> ids.add(found.lease().point().id()));
    return ids;
  }

  /** Removes the parked shares {@code which} selects and returns them; holding this monitor. */
  private List<Parked> unpark(BiPredicate<Key, Parked> which) {
    List<Parked> removed = new ArrayList<>();
    parked.entrySet().removeIf(e -> {
      boolean selected = which.test(e.getKey(), e.getValue());
      if (selected) {
        removed.add(e.getValue());
      }
      return selected;
    });
    return removed;
  }

  /** Waits (holding this monitor) until no session under {@code key} runs, or a while. */
  private void awaitEnd(Key key) throws InterruptedException {
    long deadline = System.nanoTime() + AWAIT_ENDING.toNanos();
    while (running.containsKey(key) && !parked.containsKey(key) && !finished.containsKey(key)) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return;
      }
      TimeUnit.NANOSECONDS.timedWait(this, left);
    }
  }

  /** How many shares are parked now. */
  public synchronized int size() {
    return parked.size();
  }

  private void expire(Key key) {
    Parked found;
    synchronized (this) {
      found = parked.remove(key);
    }
    if (found != null) {
      log.info("read point of VM " + found.vmId() + " kept under " + key.token() + " for disk "
          + key.diskPath() + " not continued within " + keep.toMinutes() + " min: ended");
      end(found);
    }
  }

  private static void end(Parked found) {
    found.expiry().cancel(false);
    // The last share to leave discards the read point (no session read it to the end).
    found.lease().close();
  }

  /** Ends every parked share (the agent stops: its next start discards what is left). */
  @Override
  public void close() {
    List<Parked> all;
    synchronized (this) {
      closed = true;
      all = new ArrayList<>(parked.values());
      parked.clear();
    }
    all.forEach(ParkedReadPoints::end);
    timer.shutdownNow();
  }
}
