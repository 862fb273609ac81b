package io.failback.controller.store;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * The controller lease: which of the controllers sharing this store is active. The holder
 * renews it; another takes it over only once it expired, with the next term, and the store
 * refuses the old holder's transactions from then on ({@link ControllerStore#fence}).
 *
 * <p>Controllers give it the database server's time ({@link #databaseTime}), so that their own
 * clocks need not agree: one clock decides when a lease expired.
 */
public final class LeaseRecords {
  static final String SELECT = "SELECT term, holder, address, cloud, state_id, state_dir,"
      + " acquired_at, expires_at FROM controller_lease WHERE id = 1";

  /**
   * What a controller that takes the lease says of itself.
   *
   * @param address where agents and operators reach it (host:port)
   * @param cloud the cloud it drives
   * @param stateId the id kept in its state folder: controllers that share the folder share it
   * @param stateDir where that folder is (machine and path), for people to read
   */
  public record Claim(String address, String cloud, String stateId, String stateDir) {
    public Claim {
      requireNonNull(address, "address");
      requireNonNull(cloud, "cloud");
      requireNonNull(stateId, "stateId");
      requireNonNull(stateDir, "stateDir");
    }
  }

  /**
   * The lease as stored. A lease taken by a controller older than the state id has empty
   * {@code stateId} and {@code stateDir}.
   */
  public record Lease(long term, String holder, String address, String cloud, String stateId,
      String stateDir, Instant acquiredAt, Instant expiresAt) {
    public boolean expiredAt(Instant now) {
      return !now.isBefore(expiresAt);
    }
  }

  private final ControllerStore store;

  LeaseRecords(ControllerStore store) {
    this.store = store;
  }

  /** The database server's clock now (to the millisecond): the one lease times are read on. */
  public Instant databaseTime() throws StoreException {
    return store.inHandleUnfenced("Reading the database's clock", handle -> Instant.ofEpochMilli(
        handle.createQuery("SELECT " + store.dialect().nowMillis()).mapTo(Long.class).one()));
  }

  /** The lease, if any controller ever held it. */
  public Optional<Lease> current() throws StoreException {
    return store.inHandleUnfenced("Reading the controller lease", handle -> handle
        .createQuery(SELECT).map((rows, ctx) -> lease(rows)).findOne());
  }

  /**
   * Takes the lease for {@code holder} if none is held, it expired at {@code now}, or it is
   * {@code holder}'s already (then it is renewed): a new holder gets the next term.
   *
   * @return the lease afterwards: {@code holder}'s if it got it, else the live holder's
   */
  public Lease acquire(String holder, Claim claim, Instant now, Duration ttl)
      throws StoreException {
    requireNonNull(holder, "holder");
    long at = now.toEpochMilli();
    long until = now.plus(ttl).toEpochMilli();
    return store.inHandleUnfenced("Taking the controller lease", handle -> {
      Optional<Lease> held = handle.createQuery(SELECT + store.dialect().forUpdate())
          .map((rows, ctx) -> lease(rows)).findOne();
      if (held.isEmpty()) {
        handle.createUpdate("INSERT INTO controller_lease (id, term, holder, address, cloud,"
                + " state_id, state_dir, acquired_at, expires_at) VALUES (1, 1, :holder,"
                + " :address, :cloud, :stateId, :stateDir, :at, :until)")
            .bind("holder", holder).bind("address", claim.address())
            .bind("cloud", claim.cloud()).bind("stateId", claim.stateId())
            .bind("stateDir", claim.stateDir())
            .bind("at", at).bind("until", until).execute();
      } else if (held.get().holder().equals(holder)) {
        handle.createUpdate("UPDATE controller_lease SET expires_at = :until WHERE id = 1")
            .bind("until", until).execute();
      } else if (held.get().expiredAt(now)) {
        handle.createUpdate("UPDATE controller_lease SET term = term + 1, holder = :holder,"
                + " address = :address, cloud = :cloud, state_id = :stateId,"
                + " state_dir = :stateDir, acquired_at = :at, expires_at = :until WHERE id = 1")
            .bind("holder", holder).bind("address", claim.address())
            .bind("cloud", claim.cloud()).bind("stateId", claim.stateId())
            .bind("stateDir", claim.stateDir())
            .bind("at", at).bind("until", until).execute();
      } else {
        return held.get();
      }
      return handle.createQuery(SELECT).map((rows, ctx) -> lease(rows)).one();
    });
  }

  /**
   * Extends {@code holder}'s lease of {@code term} to {@code now + ttl}.
   *
   * @return false, changing nothing, if the term moved on: another controller took over
   */
  public boolean renew(long term, String holder, Instant now, Duration ttl)
      throws StoreException {
    return store.inHandleUnfenced("Renewing the controller lease", handle -> handle
        .createUpdate("UPDATE controller_lease SET expires_at = :until WHERE id = 1"
            + " AND term = :term AND holder = :holder")
        .bind("until", now.plus(ttl).toEpochMilli()).bind("term", term)
        .bind("holder", holder).execute() == 1);
  }

  /** Gives the lease up at a clean stop, so that a standby takes over without waiting. */
  public void release(long term, String holder) throws StoreException {
    store.inHandleUnfenced("Releasing the controller lease", handle -> handle
        .createUpdate("UPDATE controller_lease SET expires_at = 0 WHERE id = 1"
            + " AND term = :term AND holder = :holder")
        .bind("term", term).bind("holder", holder).execute());
  }

  static Lease lease(java.sql.ResultSet rows) throws java.sql.SQLException {
    return new Lease(rows.getLong("term"), rows.getString("holder"),
        rows.getString("address"), rows.getString("cloud"), rows.getString("state_id"),
        rows.getString("state_dir"), Instant.ofEpochMilli(rows.getLong("acquired_at")),
        Instant.ofEpochMilli(rows.getLong("expires_at")));
  }
}
