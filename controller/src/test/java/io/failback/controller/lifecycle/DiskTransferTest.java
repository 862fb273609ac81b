package io.failback.controller.lifecycle;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.disk.BlockDevice;
import io.failback.common.sync.SyncProgress;
import io.failback.common.testing.MemoryBlockDevice;
import io.failback.controller.sync.DiskSyncs;
import io.failback.controller.sync.JobEncryption;
import io.failback.controller.sync.SyncOutcome;
import io.failback.proto.v1.LaneCheckpoint;
import io.failback.proto.v1.StartSync;
import io.failback.proto.v1.SyncMode;
import io.failback.proto.v1.SyncRole;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** One VM's failed disk stops that VM's other disks, never another VM's or job's sessions. */
class DiskTransferTest {
  private final ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor();

  @AfterEach
  void stop() {
    ticker.shutdownNow();
  }

  /** Sessions that wait until told to fail or cancelled; records every cancel. */
  private static final class ScriptedSyncs implements DiskSyncs {
    final Map<String, CompletableFuture<SyncOutcome>> sessions = new ConcurrentHashMap<>();
    final Set<String> cancelled = ConcurrentHashMap.newKeySet();

    @Override
    public CompletableFuture<SyncOutcome> sync(String hostName, StartSync start,
        BlockDevice local, Map<Integer, LaneCheckpoint> resumeFrom,
        Consumer<LaneCheckpoint> durable, SyncProgress progress, BitSet changedBlocks,
        JobEncryption encryption, io.failback.common.sync.Throttle throttle) {
      CompletableFuture<SyncOutcome> session = new CompletableFuture<>();
      sessions.put(start.getParameters().getSessionId(), session);
      return session;
    }

    @Override
    public void cancel(String sessionId, String reason) {
      cancelled.add(sessionId);
      CompletableFuture<SyncOutcome> session = sessions.get(sessionId);
      if (session != null) {
        session.completeExceptionally(new IllegalStateException("cancelled: " + reason));
      }
    }
  }

  private static DiskTransfer.Plan plan(String vm) {
    return new DiskTransfer.Plan("", vm, "hv-01", 1, SyncMode.DELTA, SyncRole.SOURCE,
        "job-x-" + vm, "", 7);
  }

  private static List<DiskTransfer.Disk> disks(String vm) {
    return List.of(new DiskTransfer.Disk(0, "/" + vm + "/d0", new MemoryBlockDevice(new byte[65536], 512, true),
        null), new DiskTransfer.Disk(1, "/" + vm + "/d1", new MemoryBlockDevice(new byte[65536], 512, true), null));
  }

  @Test
  void aFailedDiskCancelsOnlyTheSessionsOfItsOwnTransfer() throws Exception {
    ScriptedSyncs syncs = new ScriptedSyncs();
    DiskTransfer transfer = new DiskTransfer(syncs, null, ticker, java.time.Clock.systemUTC(),
        new Timings());
    CompletableFuture<Void> other = CompletableFuture.runAsync(() -> {
      try {
        transfer.run(plan("b"), disks("b"));
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    CompletableFuture<Void> failing = CompletableFuture.runAsync(() -> {
      try {
        transfer.run(plan("a"), disks("a"));
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (syncs.sessions.size() < 4) {
      assertTrue(System.nanoTime() < deadline, "sessions never started: " + syncs.sessions);
      Thread.sleep(5);
    }
    syncs.sessions.get("job-x-a-d0").completeExceptionally(new IllegalStateException("boom"));

    assertThrows(Exception.class, failing::join);
    assertTrue(syncs.cancelled.contains("job-x-a-d1"), "the VM's other disk ran on: "
        + syncs.cancelled);
    assertTrue(syncs.cancelled.stream().noneMatch(s -> s.startsWith("job-x-b")),
        "another VM's sessions were cancelled: " + syncs.cancelled);
    assertTrue(!other.isDone(), "the other transfer ended");
    syncs.cancel("job-x-b-d0", "test over");
    syncs.cancel("job-x-b-d1", "test over");
  }
}
