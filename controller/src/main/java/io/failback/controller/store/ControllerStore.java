package io.failback.controller.store;

import static com.google.common.base.Preconditions.checkState;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.locks.ReentrantLock;
import org.sqlite.SQLiteConfig;

/**
 * The controller's state in one embedded SQLite database file.
 *
 * <p>Durability: the file is in WAL mode with {@code synchronous=FULL}, so a call that returned
 * has reached stable storage and survives a crash or power loss.
 *
 * <p>Threading: safe for use by any number of threads. The store holds one connection and
 * runs each call as one transaction while holding a lock, so calls are serialized. Other
 * processes (an operator's {@code sqlite3} shell) may read the file meanwhile; a writer waits
 * up to {@link #BUSY_TIMEOUT} for another process's lock.
 */
public final class ControllerStore implements AutoCloseable {

  /** How long a call waits for a lock held by another process before it fails. */
  static final Duration BUSY_TIMEOUT = Duration.ofSeconds(10);

  private final Path dbFile;
  private final ReentrantLock lock = new ReentrantLock();
  private final Connection connection; // guarded by lock
  private boolean closed; // guarded by lock
  private final HostRecords hostRecords;
  private final ProtectedItemRecords protectedItemRecords;
  private final JobRecords jobRecords;
  private final CheckpointRecords checkpointRecords;
  private final RecoveryPlanRecords recoveryPlanRecords;
  private final VmOwnerRecords vmOwnerRecords;
  private final HostFenceRecords hostFenceRecords;
  private final AuditRecords auditRecords;
  private final EnrollmentTokenRecords enrollmentTokenRecords;

  private ControllerStore(Path dbFile, Connection connection) {
    this.dbFile = dbFile;
    this.connection = connection;
    this.hostRecords = new HostRecords(this);
    this.protectedItemRecords = new ProtectedItemRecords(this);
    this.jobRecords = new JobRecords(this);
    this.checkpointRecords = new CheckpointRecords(this);
    this.recoveryPlanRecords = new RecoveryPlanRecords(this);
    this.vmOwnerRecords = new VmOwnerRecords(this);
    this.hostFenceRecords = new HostFenceRecords(this);
    this.auditRecords = new AuditRecords(this);
    this.enrollmentTokenRecords = new EnrollmentTokenRecords(this);
  }

  /**
   * Opens the database file, creating it and its parent folders if missing, and brings its
   * schema to the latest version.
   *
   * <p>A file this build cannot use (not a database, another application's database, a newer
   * schema) is refused before anything is written to it.
   */
  public static ControllerStore open(Path dbFile) throws StoreException {
    return open(dbFile, ControllerSchema.MIGRATIONS);
  }

  static ControllerStore open(Path dbFile, List<Migration> migrations) throws StoreException {
    Path file = dbFile.toAbsolutePath().normalize();
    SchemaMigrator migrator = new SchemaMigrator(file, migrations);
    createParentFolders(file);
    Connection connection = connect(file);
    try {
      configureConnection(file, connection);
      migrator.verifyCompatible(connection);
      enableWal(file, connection);
      migrator.migrate(connection);
      return new ControllerStore(file, connection);
    } catch (StoreException | RuntimeException e) {
      try {
        connection.close();
      } catch (SQLException closeFailure) {
        e.addSuppressed(closeFailure);
      }
      throw e;
    }
  }

  /** The database file, as an absolute path. */
  public Path dbFile() {
    return dbFile;
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

  /** One-time enrollment tokens, by hash. */
  public EnrollmentTokenRecords enrollmentTokenRecords() {
    return enrollmentTokenRecords;
  }

  /**
   * Runs {@code work} as one transaction, after any call running on another thread.
   *
   * @param action what the work does, for the error message, such as "Recording a heartbeat"
   * @throws IllegalStateException if the store is closed
   */
  <T> T inTransaction(String action, Transactions.Work<T> work) throws StoreException {
    lock.lock();
    try {
      checkState(!closed, "the controller store %s is closed", dbFile);
      return Transactions.run(connection, work);
    } catch (SQLException e) {
      throw SqlFailures.of(dbFile, action, e);
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
      connection.close();
    } catch (SQLException e) {
      throw SqlFailures.of(dbFile, "Closing the database", e);
    } finally {
      lock.unlock();
    }
  }

  private static void createParentFolders(Path file) throws StoreException {
    Path parent = file.getParent();
    if (parent == null) {
      return;
    }
    try {
      Files.createDirectories(parent);
    } catch (IOException e) {
      throw new StoreException(
          String.format(
              "Cannot create the folder %s for the controller database: %s; create it or choose"
                  + " another location",
              parent, e),
          e);
    }
  }

  private static Connection connect(Path file) throws StoreException {
    SQLiteConfig config = new SQLiteConfig();
    config.setBusyTimeout((int) BUSY_TIMEOUT.toMillis());
    try {
      return config.createConnection("jdbc:sqlite:" + file);
    } catch (SQLException e) {
      throw SqlFailures.of(file, "Opening the database", e);
    }
  }

  /** Sets the per-connection options; none of them writes to the file. */
  private static void configureConnection(Path file, Connection connection)
      throws StoreException {
    try {
      Transactions.execute(connection, "PRAGMA foreign_keys = ON");
      Transactions.execute(connection, "PRAGMA synchronous = FULL");
    } catch (SQLException e) {
      throw SqlFailures.of(file, "Opening the database", e);
    }
  }

  private static void enableWal(Path file, Connection connection) throws StoreException {
    String mode;
    try {
      mode = Transactions.queryString(connection, "PRAGMA journal_mode = WAL");
    } catch (SQLException e) {
      throw SqlFailures.of(file, "Switching the database to WAL mode", e);
    }
    // SQLite answers with the mode in force, which is not WAL where WAL is unsupported.
    if (!"wal".equals(mode.toLowerCase(Locale.ROOT))) {
      throw new StoreException(
          String.format(
              "%s could not be switched to WAL journal mode (it stays in %s mode); keep the"
                  + " controller database on a local disk, not a network share",
              file, mode));
    }
  }
}
