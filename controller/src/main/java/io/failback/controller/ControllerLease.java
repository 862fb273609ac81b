package io.failback.controller;

import io.failback.controller.store.ControllerStore;
import io.failback.controller.store.LeaseRecords.Claim;
import io.failback.controller.store.LeaseRecords.Lease;
import io.failback.controller.store.StoreException;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This controller's lease on its store: it serves only while it holds it.
 *
 * <p>At start it takes the lease, or waits as a standby until the active's lease expires or is
 * released, telling whoever calls it which controller is active (the standby's API port answers
 * UNAVAILABLE with the active's address). Active, it renews every third of the time to live; the store checks the term
 * in every transaction ({@link ControllerStore#fence}), and once another controller took the
 * lease over this one stops serving. Lease times are the database server's clock, so that the
 * controllers' own clocks need not agree; how long no renewal has succeeded (failed or hung)
 * is this process's own elapsed time.
 */
final class ControllerLease implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ControllerLease.class);

  private final ControllerStore store;
  private final String holder;
  private final Duration ttl;
  private final long term;
  private final AtomicBoolean lost = new AtomicBoolean();
  /** When the last renewal that succeeded started (System.nanoTime). */
  private volatile long renewedAt;
  /** Why the last renewal failed; null once one succeeded. */
  private volatile String failure;

  private ControllerLease(ControllerStore store, String holder, Duration ttl, long term) {
    this.store = store;
    this.holder = holder;
    this.ttl = ttl;
    this.term = term;
  }

  /**
   * Takes the lease, waiting as a standby while another controller holds it, and fences the
   * store with it.
   *
   * @param following told the active controller's address and term at every look while this
   *     one waits
   *
   * @throws StoreException if the active controller drives another cloud or keeps its state in
   *     another folder: a standby of it could not continue its jobs
   */
  static ControllerLease take(ControllerStore store, Claim claim, Duration ttl,
      java.util.function.ObjLongConsumer<String> following)
      throws StoreException, InterruptedException {
    String holder = UUID.randomUUID().toString();
    Instant announced = Instant.MIN;
    // The holder before this one, for what its folder held: read once, then each look's holder.
    Optional<Lease> before = store.leaseRecords().current();
    while (true) {
      Instant now = store.leaseRecords().databaseTime();
      Lease lease = store.leaseRecords().acquire(holder, claim, now, ttl);
      if (lease.holder().equals(holder)) {
        store.fence(new ControllerStore.Fence(lease.term(), holder));
        log.info("active controller (lease term " + lease.term() + " on " + store.describe()
            + ", advertised as " + claim.address() + ")");
        before.filter(last -> !sameStateDir(last, claim)).ifPresent(last -> log.warn(
            "the last active controller kept its state in " + last.stateDir() + ", this one"
            + " in " + claim.stateDir() + ": what that folder held (the digest seeds' secret,"
            + " reverse replication's seeds, digest sets) is not here; a reverse replication"
            + " without its seed copies the whole disk"));
        return new ControllerLease(store, holder, ttl, lease.term());
      }
      refuseUnlike(lease, claim);
      before = Optional.of(lease);
      following.accept(lease.address(), lease.term());
      if (Duration.between(announced, now).compareTo(Duration.ofMinutes(1)) >= 0) {
        log.info("standby: the active controller is " + lease.address() + " (lease term "
            + lease.term() + ", until " + lease.expiresAt() + "); taking over if it lapses");
        announced = now;
      }
      Thread.sleep(Math.max(100, ttl.toMillis() / 3));
    }
  }

  /** A standby that could not continue the active controller's jobs is refused at start. */
  private static void refuseUnlike(Lease active, Claim claim) throws StoreException {
    if (!active.cloud().equals(claim.cloud())) {
      throw new StoreException("the active controller at " + active.address() + " drives the"
          + " cloud " + active.cloud() + ", this one " + claim.cloud() + ": a standby must"
          + " drive the same cloud to continue its jobs (a cloud folder or a local libvirt URI"
          + " belongs to one machine; give both controllers a libvirt URI with a host)");
    }
    if (!sameStateDir(active, claim)) {
      throw new StoreException("the active controller at " + active.address() + " keeps its"
          + " state in " + active.stateDir() + ", this one in " + claim.stateDir() + " (another"
          + " folder: its " + StateDirId.FILE + " differs): a standby must share --state-dir"
          + " with the active controller to continue its jobs (the digest seeds' secret, the"
          + " seeds of reverse replication, the digest sets), e.g. on shared storage");
    }
  }

  /** A lease taken by a controller older than the state id says nothing against it. */
  private static boolean sameStateDir(Lease lease, Claim claim) {
    return lease.stateId().isEmpty() || lease.stateId().equals(claim.stateId());
  }

  /**
   * No lease: a SQLite store serves one controller, on the machine whose disk holds it, and a
   * restart right after a crash must not wait for a lapse.
   */
  static ControllerLease none() {
    return new ControllerLease(null, null, Duration.ZERO, 0);
  }

  long term() {
    return term;
  }

  /**
   * Renews the lease every third of its time to live; calls {@code onLost} once if another
   * controller took it over, or if no renewal succeeded for the time to live.
   *
   * <p>A renewal may hang (a database cut off without a reset, a lock wait): the lapse is
   * watched on {@code watching}, whose task never calls the store, so a renewal that does not
   * return still stops this controller once a standby may have taken over.
   */
  void keep(ScheduledExecutorService renewing, ScheduledExecutorService watching,
      Runnable onLost) {
    if (store == null) {
      return;
    }
    renewedAt = System.nanoTime();
    long every = Math.max(100, ttl.toMillis() / 3);
    renewing.scheduleWithFixedDelay(() -> renew(onLost), every, every, TimeUnit.MILLISECONDS);
    long look = Math.max(10, ttl.toMillis() / 10);
    watching.scheduleWithFixedDelay(() -> watch(onLost), look, look, TimeUnit.MILLISECONDS);
  }

  private void renew(Runnable onLost) {
    if (lost.get()) {
      return;
    }
    long started = System.nanoTime();
    try {
      if (store.leaseRecords().renew(term, holder, store.leaseRecords().databaseTime(),
          ttl)) {
        renewedAt = started;
        failure = null;
        return;
      }
      lose("lease term " + term + " was taken over by another controller", onLost);
    } catch (StoreException e) {
      failure = e.getMessage();
      if (!lost.get()) {
        log.warn("renewing the lease failed, retrying: " + e.getMessage());
      }
    }
  }

  /** Stops this controller once no renewal succeeded for the time to live, failed or hung. */
  private void watch(Runnable onLost) {
    long unrenewed = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - renewedAt);
    if (lost.get() || unrenewed < ttl.toMillis()) {
      return;
    }
    String why = failure;
    lose("the lease lapsed unrenewed (term " + term + ", no renewal succeeded for " + unrenewed
        + " ms, TTL " + ttl.toMillis() + " ms): " + (why != null ? why
        : "the store did not answer, as when the database hangs or is cut off"), onLost);
  }

  private void lose(String why, Runnable onLost) {
    if (lost.compareAndSet(false, true)) {
      log.error(why);
      onLost.run();
    }
  }

  /** Stops renewing and never releases: the lease lapses as if the process had died. */
  void forget() {
    lost.set(true);
  }

  /** Gives the lease up at a clean stop, so that a standby takes over at once. */
  @Override
  public void close() {
    // Once: a second close has nothing to give up.
    if (store == null || !lost.compareAndSet(false, true)) {
      return;
    }
    try {
      store.leaseRecords().release(term, holder);
    } catch (StoreException e) {
      log.warn("releasing the lease failed; a standby takes over once it lapses: "
          + e.getMessage());
    }
  }
}
