package io.failback.controller.store;

import static com.google.common.base.Preconditions.checkArgument;
import static java.util.Objects.requireNonNull;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.Timestamps;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.JobState;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The jobs, finished or not, each stored whole as a serialized {@link Job}.
 *
 * <p>The {@code created_at} and {@code updated_at} columns are the job's own timestamps, to the
 * millisecond. Every method is one durable transaction; see {@link ControllerStore} for
 * threading.
 */
public final class JobRecords {

  private static final String INSERT =
      "INSERT INTO jobs (job_id, job, state, created_at, updated_at) VALUES (?, ?, ?, ?, ?)"
          + " ON CONFLICT (job_id) DO NOTHING";
  private static final String UPDATE =
      "UPDATE jobs SET job = ?, state = ?, updated_at = ? WHERE job_id = ?";
  private static final String SELECT = "SELECT job_id, job FROM jobs";

  private final ControllerStore store;

  JobRecords(ControllerStore store) {
    this.store = store;
  }

  /**
   * Inserts a new job.
   *
   * @return false, writing nothing, if a job with the same id exists
   */
  public boolean insert(Job job) throws StoreException {
    String id = checkId(job.getId());
    return store.inTransaction(
        String.format("Recording job '%s'", id),
        tx -> {
          try (PreparedStatement insert = tx.prepareStatement(INSERT)) {
            insert.setString(1, id);
            insert.setBytes(2, job.toByteArray());
            insert.setString(3, job.getState().name());
            insert.setLong(4, Timestamps.toMillis(job.getCreatedAt()));
            insert.setLong(5, Timestamps.toMillis(job.getUpdatedAt()));
            return insert.executeUpdate() == 1;
          }
        });
  }

  /** Returns the job with this id, if there is one. */
  public Optional<Job> get(String jobId) throws StoreException {
    String id = checkId(jobId);
    return store.inTransaction(String.format("Reading job '%s'", id), tx -> read(tx, id));
  }

  /** Returns every job, newest first. */
  public List<Job> list() throws StoreException {
    return store.inTransaction(
        "Reading the jobs",
        tx -> {
          try (PreparedStatement select = tx.prepareStatement(SELECT + newestFirst())) {
            return readAll(select);
          }
        });
  }

  /** Returns the jobs touching this VM (its id in any case), newest first. */
  public List<Job> listByVm(String vmId) throws StoreException {
    requireNonNull(vmId, "vmId");
    return list().stream()
        .filter(job -> job.getVmIdsList().stream().anyMatch(vmId::equalsIgnoreCase))
        .toList();
  }

  /** Returns the jobs in any of {@code states}, oldest first. */
  public List<Job> listInStates(Set<JobState> states) throws StoreException {
    if (states.isEmpty()) {
      return List.of();
    }
    // Enum names are identifiers, so quoting them inline is safe.
    String names = states.stream().map(s -> "'" + s.name() + "'").collect(Collectors.joining(","));
    return store.inTransaction(
        "Reading the unfinished jobs",
        tx -> {
          try (PreparedStatement select =
              tx.prepareStatement(
                  SELECT + " WHERE state IN (" + names + ") ORDER BY created_at, "
                      + store.dialect().insertionOrder())) {
            return readAll(select);
          }
        });
  }

  /**
   * Reads the job, applies {@code mutation} and writes the result, in one transaction; the
   * mutation's exception rolls it back and is rethrown as is.
   *
   * @return the job as stored afterwards; empty, without calling the mutation, if there is none
   * @throws IllegalArgumentException if the mutation changes the job id
   */
  public <E extends Exception> Optional<Job> update(String jobId, Mutation<Job, E> mutation)
      throws StoreException, E {
    String id = checkId(jobId);
    try {
      return store.inTransaction(
          String.format("Updating job '%s'", id),
          tx -> {
            Optional<Job> current = read(tx, id);
            if (current.isEmpty()) {
              return current;
            }
            Job next = Mutations.apply(mutation, current.get());
            if (next != current.get()) {
              checkArgument(
                  next.getId().equals(id), "the id of job '%s' cannot change (to '%s')", id,
                  next.getId());
              write(tx, next);
            }
            return Optional.of(next);
          });
    } catch (Mutations.Refused refused) {
      throw refused.<E>cause();
    }
  }

  /** Jobs created in the same millisecond: the later insert first. */
  private String newestFirst() {
    return " ORDER BY created_at DESC, " + store.dialect().insertionOrder() + " DESC";
  }

  private static void write(Connection tx, Job job) throws SQLException {
    try (PreparedStatement update = tx.prepareStatement(UPDATE)) {
      update.setBytes(1, job.toByteArray());
      update.setString(2, job.getState().name());
      update.setLong(3, Timestamps.toMillis(job.getUpdatedAt()));
      update.setString(4, job.getId());
      update.executeUpdate();
    }
  }

  private Optional<Job> read(Connection tx, String jobId) throws SQLException, StoreException {
    try (PreparedStatement select = tx.prepareStatement(SELECT + " WHERE job_id = ?")) {
      select.setString(1, jobId);
      return readAll(select).stream().findFirst();
    }
  }

  private List<Job> readAll(PreparedStatement select) throws SQLException, StoreException {
    List<Job> jobs = new ArrayList<>();
    try (ResultSet rows = select.executeQuery()) {
      while (rows.next()) {
        jobs.add(parse(rows.getString(1), rows.getBytes(2)));
      }
    }
    return List.copyOf(jobs);
  }

  private Job parse(String jobId, byte[] bytes) throws StoreException {
    try {
      return Job.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new StoreException(
          String.format(
              "The stored job '%s' in %s cannot be parsed (%s); the database is damaged:"
                  + " restore it from a backup",
              jobId, store.describe(), e.getMessage()),
          e);
    }
  }

  private static String checkId(String jobId) {
    requireNonNull(jobId, "jobId");
    checkArgument(!jobId.isBlank(), "job id is blank");
    return jobId;
  }
}
