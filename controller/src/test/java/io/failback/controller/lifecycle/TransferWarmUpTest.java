package io.failback.controller.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.disk.BlockDevice;
import io.failback.common.sync.ProgressCounts;
import io.failback.common.sync.SyncException;
import io.failback.common.sync.SyncProgress;
import io.failback.common.sync.Throttle;
import io.failback.common.testing.MutableClock;
import io.failback.controller.store.ControllerStore;
import io.failback.controller.sync.DiskSyncs;
import io.failback.controller.sync.JobEncryption;
import io.failback.controller.sync.SyncOutcome;
import io.failback.controller.tuning.BlockSize;
import io.failback.proto.v1.FailoverDirection;
import io.failback.proto.v1.LaneCheckpoint;
import io.failback.proto.v1.StartSync;
import io.failback.proto.v1.SyncMode;
import io.failback.proto.v1.SyncRole;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A warm-up runs beside what the job waits for and ends with it: a session the agent cannot
 * take, or one still running, never holds the job, and what it did is said in one line.
 */
class TransferWarmUpTest {
  @TempDir Path dir;
  private ControllerStore store;
  private Jobs jobs;
  private final FakeSyncs syncs = new FakeSyncs();
  /** What the bandwidth limits were asked to let through. */
  private final List<String> limited = new ArrayList<>();
  private TransferWarmUp warmUp;

  @BeforeEach
  void open() throws Exception {
    store = ControllerStore.open(dir.resolve("controller.db"));
    jobs = new Jobs(store.jobRecords(), new MutableClock(Instant.parse("2026-12-06T10:00:00Z")));
    warmUp = new TransferWarmUp(syncs, new TransferTuner(jobs, new Timings(h -> Optional.empty())),
        (host, jobId) -> bytes -> limited.add(host + " " + bytes));
  }

  @AfterEach
  void close() throws Exception {
    store.close();
  }

  @Test
  void theSessionIsAFullOneOntoTheAgentsScratchDiskWithTheTransfersSettings() throws Exception {
    DiskTransfer.Plan plan = plan().withBlocks(new BlockSize(16384, "the VM's"));
    String said = warmUp.during(plan, 40L << 20, 2, () -> syncs.finish(100, 75, 25, 50));

    StartSync start = syncs.started.get(0);
    assertTrue(start.getWarmUp());
    assertEquals(SyncRole.TARGET, start.getAgentRole());
    assertEquals("", start.getDiskPath());
    assertEquals(SyncMode.FULL, start.getParameters().getMode());
    assertEquals("job-x-full-warm", start.getParameters().getSessionId());
    assertEquals(40L << 20, start.getParameters().getDiskSize(), "no more than the VM holds");
    assertEquals(16384, start.getParameters().getBlockSize(), "the VM's blocks");
    assertEquals("", start.getParameters().getDigestSet());
    assertFalse(start.getParameters().getRereadWritten());
    assertFalse(start.getParameters().getVerifyReread());
    assertEquals(40L << 20, syncs.local.get(0).size());
    assertEquals(List.of(), syncs.cancelled, "a finished warm-up is not cancelled");
    assertTrue(said.startsWith("warm-up of the transfer path while the cloud VM shut down: 100"
        + " synthetic blocks settled (75 sent, 25 zero, 50 held) in "), said);
    assertTrue(said.endsWith(" s, all of them; none of the VM's data, written to no disk"), said);
  }

  @Test
  void theBandwidthLimitsOfTheHostAndJobHoldForItsFrames() throws Exception {
    warmUp.during(plan(), 1L << 30, 1, () -> syncs.throttles.get(0).take(1 << 20));
    assertEquals(List.of("hv-01 " + (1 << 20)), limited);
  }

  @Test
  void noneRunsBesideAnotherTransferWithTheHost() throws Exception {
    syncs.busy = true;
    String said = warmUp.during(plan(), 1L << 30, 1, () -> { });
    assertEquals("no warm-up of the transfer path: a transfer with host hv-01 runs already",
        said);
    assertEquals(List.of(), syncs.started);
  }

  @Test
  void aLargeVmIsWarmedUpWithAtMostAGibibyte() throws Exception {
    warmUp.during(plan(), 10L << 40, 1, () -> { });
    assertEquals(TransferWarmUp.MAX_BYTES, syncs.started.get(0).getParameters().getDiskSize());
  }

  @Test
  void aWarmUpStillRunningWhenTheWaitEndsIsCancelledWithoutWaitingForIt() throws Exception {
    String said = warmUp.during(plan(), 1L << 30, 1,
        () -> ProgressCounts.add(syncs.progress.get(0), 1, 1, 0, 0));
    assertEquals(List.of("job-x-full-warm"), syncs.cancelled);
    assertTrue(said.contains(": 1 synthetic blocks settled (1 sent, 0 zero, 0 held) in "), said);
    assertTrue(said.contains(" s, stopped when the VM was off;"), said);
  }

  @Test
  void aShutdownOverBeforeTheFirstBlockSaysSo() throws Exception {
    assertEquals("no warm-up of the transfer path: the cloud VM was off before its first block",
        warmUp.during(plan(), 1L << 30, 1, () -> { }));
    assertEquals(List.of("job-x-full-warm"), syncs.cancelled);
  }

  @Test
  void anAgentThatCannotTakeOneLeavesOnlyALine() throws Exception {
    syncs.refusal = new SyncException(SyncException.Kind.FAILED_PRECONDITION,
        "the agent speaks sync revision 3, from before warm-up sessions (4)");
    String said = warmUp.during(plan(), 1L << 30, 1, () -> { });
    assertEquals("no warm-up of the transfer path (the agent speaks sync revision 3, from"
        + " before warm-up sessions (4))", said);
  }

  @Test
  void aFailedWaitStopsTheWarmUpAndFailsAsItWould() {
    IllegalStateException failure = new IllegalStateException("the cloud is gone");
    IllegalStateException thrown = assertThrows(IllegalStateException.class,
        () -> warmUp.during(plan(), 1L << 30, 1, () -> {
          throw failure;
        }));
    assertSame(failure, thrown);
    assertEquals(List.of("job-x-full-warm"), syncs.cancelled);
  }

  private DiskTransfer.Plan plan() throws Exception {
    String jobId = jobs.create("PlannedFailover", FailoverDirection.CLOUD_TO_ON_PREM, "",
        Map.of("vm", List.of("d0"))).getId();
    return new DiskTransfer.Plan(jobId, "vm", "hv-01", 1, SyncMode.FULL, SyncRole.TARGET,
        "job-x-full", "digests", 7, null, false, "journal", DiskTransfer.ReadBack.WRITTEN);
  }

  /** Records the sessions it is asked for; each ends when the test says. */
  private static final class FakeSyncs implements DiskSyncs {
    final List<StartSync> started = new ArrayList<>();
    final List<BlockDevice> local = new ArrayList<>();
    final List<SyncProgress> progress = new ArrayList<>();
    final List<CompletableFuture<SyncOutcome>> sessions = new ArrayList<>();
    final List<String> cancelled = new ArrayList<>();
    final List<Throttle> throttles = new ArrayList<>();
    SyncException refusal;
    boolean busy;

    @Override
    public boolean busy(String hostName) {
      return busy;
    }

    @Override
    public CompletableFuture<SyncOutcome> sync(String hostName, StartSync start,
        BlockDevice device, Map<Integer, LaneCheckpoint> resumeFrom,
        Consumer<LaneCheckpoint> durable, SyncProgress counters, BitSet changedBlocks,
        JobEncryption encryption, Throttle throttle) {
      started.add(start);
      local.add(device);
      progress.add(counters);
      throttles.add(throttle);
      CompletableFuture<SyncOutcome> session = refusal != null
          ? CompletableFuture.failedFuture(refusal) : new CompletableFuture<>();
      sessions.add(session);
      return session;
    }

    /** Settles blocks as a whole session would, then ends it. */
    void finish(int settled, int sent, int zero, int held) {
      ProgressCounts.add(progress.get(0), settled, sent, zero, held);
      sessions.get(0).complete(null);
    }

    @Override
    public void cancel(String sessionId, String reason) {
      cancelled.add(sessionId);
      sessions.get(0).completeExceptionally(new SyncException(SyncException.Kind.CANCELLED,
          reason));
    }
  }
}
