package io.failback.common.sync;

import io.failback.common.disk.BlockDevice;
import io.failback.common.testing.MemoryBlockDevice;
import io.failback.common.testing.MemoryTransport;
import io.failback.proto.v1.SyncParameters;
import io.failback.proto.v1.SyncRole;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/** Runs both sides of a session in one process over a {@link MemoryTransport}. */
final class SyncHarness {
  final SyncProgress sourceProgress = new SyncProgress();
  final SyncProgress targetProgress = new SyncProgress();
  DiskSync.Result sourceResult;
  DiskSync.Result targetResult;
  /** Runs as the target side's run ends, as an agent closes the disk then. */
  Runnable targetEnded = () -> {};

  /**
   * Runs a session from {@code source}, a disk that knows its zeros as a thin disk knows its
   * holes, into {@code target}.
   */
  static SyncHarness fromThinDisk(SyncParameters parameters, byte[] source, byte[] target,
      MemoryTransport transport) throws Throwable {
    SyncHarness harness = new SyncHarness();
    harness.run(parameters, MemoryBlockDevice.knowingZeros(source, false),
        new MemoryBlockDevice(target, 512, true), transport);
    return harness;
  }

  /** Runs the session; the target side persists checkpoints, the source opens the lanes. */
  void run(SyncParameters parameters, BlockDevice source, BlockDevice target,
      MemoryTransport transport) throws Throwable {
    run(parameters, source, target, transport, DiskSync.Options.NONE, DiskSync.Options.NONE);
  }

  /** Runs the session with each side's options (digest sets, changed blocks). */
  void run(SyncParameters parameters, BlockDevice source, BlockDevice target,
      MemoryTransport transport, DiskSync.Options sourceOptions,
      DiskSync.Options targetOptions) throws Throwable {
    DiskSync sourceSide = new DiskSync(parameters, SyncRole.SOURCE, source, transport.opener(),
        checkpoint -> {}, sourceProgress, 50, Duration.ofMillis(1), sourceOptions);
    DiskSync targetSide = new DiskSync(parameters, SyncRole.TARGET, target,
        transport.acceptor(), transport::durable, targetProgress, 50, Duration.ofMillis(1),
        targetOptions);
    CompletableFuture<DiskSync.Result> targetRun = CompletableFuture.supplyAsync(() -> {
      try {
        return targetSide.run();
      } catch (Exception e) {
        throw new java.util.concurrent.CompletionException(e);
      } finally {
        targetEnded.run();
      }
    });
    Throwable sourceFailure = null;
    try {
      sourceResult = sourceSide.run();
    } catch (SyncException e) {
      sourceFailure = e;
    }
    try {
      targetResult = targetRun.get(60, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      // When both sides fail, a side that found data loss is the cause; the other side only
      // saw the session end (which it may report first, as a disk or link error).
      if (sourceFailure instanceof SyncException sync
          && sync.kind() == SyncException.Kind.DATA_LOSS) {
        throw sourceFailure;
      }
      throw e.getCause();
    }
    if (sourceFailure != null) {
      throw sourceFailure;
    }
  }
}
