package io.failback.controller.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.util.Timestamps;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.JobState;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import io.failback.controller.store.TestDatabases.Backend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

@ParameterizedClass
@EnumSource(Backend.class)
class JobRecordsTest extends StoreTestBase {
  private static Job job(String id, long createdMillis, JobState state, String... vmIds) {
    return Job.newBuilder().setId(id).setKind("PlannedFailover").setState(state)
        .addAllVmIds(List.of(vmIds))
        .setCreatedAt(Timestamps.fromMillis(createdMillis))
        .setUpdatedAt(Timestamps.fromMillis(createdMillis)).build();
  }

  @Test
  void insertedJobIsReadBackWholeAfterReopen() throws Exception {
    Job job = job("j1", 1_000, JobState.JOB_QUEUED, "vm-1");
    assertTrue(store.jobRecords().insert(job));
    assertFalse(store.jobRecords().insert(job.toBuilder().setKind("Commit").build()));
    reopen();
    assertEquals(Optional.of(job), store.jobRecords().get("j1"));
    assertEquals("JOB_QUEUED", queryString("SELECT state FROM jobs"));
  }

  @Test
  void listIsNewestFirstWithInsertOrderBreakingTies() throws Exception {
    store.jobRecords().insert(job("old", 1_000, JobState.JOB_SUCCEEDED, "vm-1"));
    store.jobRecords().insert(job("same-a", 2_000, JobState.JOB_RUNNING, "vm-2"));
    store.jobRecords().insert(job("same-b", 2_000, JobState.JOB_QUEUED, "vm-1", "vm-2"));

    assertEquals(List.of("same-b", "same-a", "old"), ids(store.jobRecords().list()));
    assertEquals(List.of("same-b", "old"), ids(store.jobRecords().listByVm("VM-1")));
    assertEquals(List.of("same-a", "same-b"), ids(store.jobRecords()
        .listInStates(EnumSet.of(JobState.JOB_QUEUED, JobState.JOB_RUNNING))));
    assertEquals(List.of(), store.jobRecords().listInStates(EnumSet.noneOf(JobState.class)));
  }

  @Test
  void updateWritesStateAndUpdatedAtColumns() throws Exception {
    store.jobRecords().insert(job("j1", 1_000, JobState.JOB_QUEUED, "vm-1"));

    Job updated = store.jobRecords().update("j1", current -> current.toBuilder()
        .setState(JobState.JOB_RUNNING).setUpdatedAt(Timestamps.fromMillis(5_000)).build())
        .orElseThrow();

    assertEquals(Optional.of(updated), store.jobRecords().get("j1"));
    assertEquals("JOB_RUNNING", queryString("SELECT state FROM jobs"));
    assertEquals("5000", queryString("SELECT updated_at FROM jobs"));
    assertEquals("1000", queryString("SELECT created_at FROM jobs"));
  }

  @Test
  void mutationMayNotChangeTheId() throws Exception {
    store.jobRecords().insert(job("j1", 1_000, JobState.JOB_QUEUED, "vm-1"));
    assertThrows(IllegalArgumentException.class, () -> store.jobRecords()
        .update("j1", current -> current.toBuilder().setId("j2").build()));
    assertTrue(store.jobRecords().update("missing", current -> current).isEmpty());
  }

  private static List<String> ids(List<Job> jobs) {
    return jobs.stream().map(Job::getId).toList();
  }
}
