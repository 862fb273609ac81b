package io.failback.controller.store;

import static com.google.common.base.Preconditions.checkState;

import java.nio.file.Path;
import java.sql.SQLException;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The controller's state: an embedded SQLite file (the default) or a PostgreSQL database (the
 * production store), with the same schema and the same behaviour.
 *
 * <p>Durability: a call that returned has been committed to stable storage (SQLite in WAL mode
 * with {@code synchronous=FULL}; PostgreSQL's commit).
 *
 * <p>Threading: safe for use by any number of threads. Each call runs as one transaction
 * while holding a lock, so the calls of one controller are serialized. Other processes (an
 * operator's {@code sqlite3} or {@code psql} shell, a standby controller) may read meanwhile.
 */
public final class ControllerStore implements AutoCloseable {

  private final StoreLocation location;
  private final ReentrantLock lock = new ReentrantLock();
  private final Database database; // guarded by lock
  private boolean closed; // guarded by lock
  /** The lease term and holder every transaction checks first; null for no check. */
  private volatile Fence fence;
  private final HostRecords hostRecords;
  private final ProtectedItemRecords protectedItemRecords;
  private final JobRecords jobRecords;
  private final CheckpointRecords checkpointRecords;
  private final RecoveryPlanRecords recoveryPlanRecords;
  private final VmOwnerRecords vmOwnerRecords;
  private final HostFenceRecords hostFenceRecords;
  private final AuditRecords auditRecords;
  private final EnrollmentTokenRecords enrollmentTokenRecords;
  private final LeaseRecords leaseRecords;
  private final BandwidthRecords bandwidthRecords;

  private ControllerStore(StoreLocation location, Database database) {
    this.location = location;
    this.database = database;
    this.hostRecords = new HostRecords(this);
    this.protectedItemRecords = new ProtectedItemRecords(this);
    this.jobRecords = new JobRecords(this);
    this.checkpointRecords = new CheckpointRecords(this);
    this.recoveryPlanRecords = new RecoveryPlanRecords(this);
    this.vmOwnerRecords = new VmOwnerRecords(this);
    this.hostFenceRecords = new HostFenceRecords(this);
    this.auditRecords = new AuditRecords(this);
    this.enrollmentTokenRecords = new EnrollmentTokenRecords(this);
    this.leaseRecords = new LeaseRecords(this);
    this.bandwidthRecords = new BandwidthRecords(this);
  }

  /**
   * Opens the SQLite file, creating it and its parent folders if missing, and brings its
   * schema to the latest version.
   *
   * <p>A file this build cannot use (not a database, another application's database, a newer
   * schema) is refused before anything is written to it.
   */
  public static ControllerStore open(Path dbFile) throws StoreException {
    return open(new StoreLocation.SqliteFile(dbFile));
  }

  /**
   * Opens the store at {@code location} and brings its schema to the latest version; a
   * database this build cannot use is refused before anything is written to it.
   */
  public static ControllerStore open(StoreLocation location) throws StoreException {
    Database database = location instanceof StoreLocation.Postgres postgres
        ? PostgresDatabase.open(postgres)
        : SqliteDatabase.open((StoreLocation.SqliteFile) location);
    return new ControllerStore(location, database);
  }

  /** Where the state is kept. */
  public StoreLocation location() {
    return location;
  }

  /** The location for messages; never holds a password. */
  public String describe() {
    return location.describe();
  }

  /** What differs in SQL between the two stores. */
  Dialect dialect() {
    return database.dialect();
  }

  /** The bandwidth limits operators set at run time. */
  public BandwidthRecords bandwidthRecords() {
    return bandwidthRecords;
  }

  /** The hosts whose agents have registered. */
  public HostRecords hostRecords() {
    return hostRecords;
  }

  /** The VMs under Failback's care, with their lifecycle state. */
  public ProtectedItemRecords protectedItemRecords() {
    return protectedItemRecords;
  }

  /** The jobs, finished or not. */
  public JobRecords jobRecords() {
    return jobRecords;
  }

  /** The durable resume points of block sync sessions. */
  public CheckpointRecords checkpointRecords() {
    return checkpointRecords;
  }

  /** The recovery plans: named, ordered groups of protected VMs. */
  public RecoveryPlanRecords recoveryPlanRecords() {
    return recoveryPlanRecords;
  }

  /** Which host owns each VM id, and the conflicts. */
  public VmOwnerRecords vmOwnerRecords() {
    return vmOwnerRecords;
  }

  /** The hosts an operator fenced. */
  public HostFenceRecords hostFenceRecords() {
    return hostFenceRecords;
  }

  /** The append-only audit trail. */
  public AuditRecords auditRecords() {
    return auditRecords;
  }

  /** Which controller sharing the store is active. */
  public LeaseRecords leaseRecords() {
    return leaseRecords;
  }

  /** One-time enrollment tokens, by hash. */
  public EnrollmentTokenRecords enrollmentTokenRecords() {
    return enrollmentTokenRecords;
  }

  /**
   * Runs {@code work} as one transaction on a plain JDBC connection, after any call running on
   * another thread.
   *
   * @param action what the work does, for the error message, such as "Recording a heartbeat"
   * @throws IllegalStateException if the store is closed
   */
  <T> T inTransaction(String action, Transactions.Work<T> work) throws StoreException {
    return inHandle(action, handle -> work.run(handle.getConnection()));
  }

  /** Runs {@code work} as one transaction through a Jdbi handle; see {@link #inTransaction}. */
  <T> T inHandle(String action, Database.Work<T> work) throws StoreException {
    return inHandleUnfenced(action, handle -> {
      checkFence(handle);
      return work.run(handle);
    });
  }

  /** A lease held by one controller process: its term and its instance id. */
  public record Fence(long term, String holder) {}

  /**
   * From now on every transaction first checks, inside itself, that {@code fence} still holds
   * the controller lease; once another controller took it over, every call fails with {@link
   * LeaseLostException} and writes nothing. On PostgreSQL the check locks the lease row for
   * share, so a takeover waits for transactions already past it.
   */
  public void fence(Fence fence) {
    this.fence = fence;
  }

  private void checkFence(org.jdbi.v3.core.Handle handle) throws StoreException {
    Fence required = fence;
    if (required == null) {
      return;
    }
    java.util.Optional<LeaseRecords.Lease> lease = handle
        .createQuery(LeaseRecords.SELECT + database.dialect().forShare())
        .map((rows, ctx) -> LeaseRecords.lease(rows)).findOne();
    if (lease.isEmpty() || lease.get().term() != required.term()
        || !lease.get().holder().equals(required.holder())) {
      throw new LeaseLostException(required, lease.orElse(null));
    }
  }

  /** Runs {@code work} without the lease check: the lease's own calls. */
  <T> T inHandleUnfenced(String action, Database.Work<T> work) throws StoreException {
    lock.lock();
    try {
      checkState(!closed, "the controller store %s is closed", describe());
      return database.inTransaction(work);
    } catch (SQLException e) {
      throw database.failure(action, e);
    } finally {
      lock.unlock();
    }
  }

  /** Closes the database; later calls throw {@link IllegalStateException}. Idempotent. */
  @Override
  public void close() throws StoreException {
    lock.lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      database.close();
    } catch (SQLException e) {
      throw database.failure("Closing the database", e);
    } finally {
      lock.unlock();
    }
  }
}
