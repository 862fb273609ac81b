package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import io.failback.agent.grpc.AgentSyncRunner;
import io.failback.agent.hyperv.simulated.SimulatedHypervisor;
import io.failback.common.testing.LogCapture;
import io.failback.common.sync.SyncProgress;
import io.failback.common.sync.WarmUpDisks;
import io.failback.controller.agents.AgentRegistry;
import io.failback.controller.sync.SyncOutcome;
import io.failback.proto.v1.StartSync;
import io.failback.proto.v1.SyncMode;
import io.failback.proto.v1.SyncParameters;
import io.failback.proto.v1.SyncRole;
import io.failback.proto.v1.VirtualDisk;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * A warm-up session (StartSync.warm_up) between a real controller and a real agent over mutual
 * TLS: every synthetic block settles, and no disk of the host, nor its VM, is touched.
 */
class WarmUpSessionTest extends SyncGrpcTestBase {
  private static final long SIZE = 8L * MIB;
  private static final long BLOCKS = SIZE / (64 * 1024);

  @Test
  void everyBlockSettlesOnTheAgentAndNoDiskOfTheHostChanges() throws Exception {
    ControllerFixture controller = cleanup.register(new ControllerFixture(dir).start());
    List<VirtualDisk> disks = startAgent(controller, controller.port());
    byte[][] before = contents(disks);

    java.util.concurrent.CompletableFuture<SyncOutcome> running =
        warmUp(controller, start -> start);
    // What keeps a second warm-up from running beside a transfer with the same host.
    assertTrue(controller.server.syncs().busy("HV-01"), "host names are caseless");
    assertFalse(controller.server.syncs().busy("hv-02"));
    SyncOutcome outcome = running.get(60, TimeUnit.SECONDS);
    assertFalse(controller.server.syncs().busy("hv-01"), "the session ended");

    assertTrue(outcome.digestsMatch(), outcome.toString());
    SyncProgress.Snapshot sent = outcome.controller().progress();
    assertEquals(BLOCKS, sent.blocksSettled());
    assertEquals(BLOCKS / 4 * 3, sent.blocksSent(), "data blocks, whether held or not");
    assertEquals(BLOCKS / 4, sent.blocksZero());
    assertEquals(BLOCKS / 4 * 2, sent.blocksEqual(), "blocks the scratch disk held already");
    // The agent wrote (to a disk that keeps nothing) the kinds it held as zeros or other bytes.
    assertEquals(BLOCKS / 4 * 2, outcome.agent().getBlocksSent(), outcome.agent().toString());
    assertEquals(BLOCKS / 4 * 2, outcome.agent().getBlocksEqual());
    assertEquals(BLOCKS / 4 * 2 * 64 * 1024, outcome.agent().getBytesWritten());
    assertUntouched(disks, before);
  }

  @Test
  void theAgentRefusesAWarmUpThatNamesADiskOrReadsOne() throws Exception {
    ControllerFixture controller = cleanup.register(new ControllerFixture(dir).start());
    List<VirtualDisk> disks = startAgent(controller, controller.port());
    byte[][] before = contents(disks);

    assertRefused(controller, start -> start.setDiskPath(disks.get(0).getPath()),
        "it names no disk_path");
    assertRefused(controller, start -> start.setParameters(start.getParameters().toBuilder()
        .setDigestSet("warm")), "it records no digest set");
    assertRefused(controller, start -> start.setParameters(start.getParameters().toBuilder()
        .setRereadWritten(true)), "it reads nothing back");
    assertRefused(controller, start -> start.setParameters(start.getParameters().toBuilder()
        .setMode(SyncMode.DELTA)), "its mode must be FULL");
    assertRefused(controller, start -> start.setUndoJournal("j"), "it keeps no undo journal");
    assertUntouched(disks, before);
  }

  /**
   * The controller ends a warm-up by cancelling it whenever the transfer it warms can start: an
   * end by design, which neither side logs as a failure (an operator watching for WARN lines
   * would otherwise see one in every full download).
   */
  @Test
  void aWarmUpCancelledMidwayIsLoggedAsAnEndNotAFailure() throws Exception {
    ControllerFixture controller = cleanup.register(new ControllerFixture(dir).start());
    startAgent(controller, controller.port());
    try (LogCapture registry = LogCapture.of(AgentRegistry.class);
        LogCapture agent = LogCapture.of(AgentSyncRunner.class)) {
      SyncProgress progress = new SyncProgress();
      java.util.concurrent.CompletableFuture<SyncOutcome> running =
          warmUp(controller, start -> start, 4L << 30, progress);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (progress.snapshot().blocksSettled() == 0 && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertTrue(progress.snapshot().blocksSettled() > 0, "the warm-up never settled a block");
      controller.server.syncs().cancel("warm-1", "the cloud VM is off: the transfer starts");
      assertThrows(ExecutionException.class, () -> running.get(60, TimeUnit.SECONDS));
      while (registry.events().isEmpty() && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      List<ILoggingEvent> logged = new java.util.ArrayList<>(registry.events());
      logged.addAll(agent.events());
      assertEquals(2, logged.size(), logged.toString());
      for (ILoggingEvent event : logged) {
        assertEquals(Level.INFO, event.getLevel(), event.toString());
        assertTrue(event.getFormattedMessage().contains("warm-up")
            && event.getFormattedMessage().contains(" ended: ")
            && event.getFormattedMessage().contains("the transfer starts"), event.toString());
      }
    }
  }

  private java.util.concurrent.CompletableFuture<SyncOutcome> warmUp(
      ControllerFixture controller, UnaryOperator<StartSync.Builder> changed) {
    return warmUp(controller, changed, SIZE, new SyncProgress());
  }

  private java.util.concurrent.CompletableFuture<SyncOutcome> warmUp(
      ControllerFixture controller, UnaryOperator<StartSync.Builder> changed, long size,
      SyncProgress progress) {
    SyncParameters parameters = parameters("warm-1", SyncMode.FULL, size).toBuilder()
        .setBatchesPerEnd(8).build();
    StartSync start = changed.apply(StartSync.newBuilder().setParameters(parameters)
        .setAgentRole(SyncRole.TARGET).setWarmUp(true)).build();
    return controller.server.syncs().sync("hv-01", start, WarmUpDisks.source(size, 64 * 1024),
        Map.of(), checkpoint -> { }, progress);
  }

  private void assertRefused(ControllerFixture controller, UnaryOperator<StartSync.Builder> bad,
      String why) {
    ExecutionException e = assertThrows(ExecutionException.class,
        () -> warmUp(controller, bad).get(60, TimeUnit.SECONDS));
    assertTrue(String.valueOf(e.getCause().getMessage()).contains(
        "refused as a warm-up session: " + why), e.getCause().toString());
  }

  private static byte[][] contents(List<VirtualDisk> disks) throws Exception {
    byte[][] bytes = new byte[disks.size()][];
    for (int i = 0; i < disks.size(); i++) {
      bytes[i] = readAll(Path.of(disks.get(i).getPath()));
    }
    return bytes;
  }

  private void assertUntouched(List<VirtualDisk> disks, byte[][] before) throws Exception {
    for (int i = 0; i < disks.size(); i++) {
      assertArrayEquals(before[i], readAll(Path.of(disks.get(i).getPath())), "disk " + i);
    }
    assertEquals("", new SimulatedHypervisor(dir.resolve("hv-01")).inventory()
        .getVirtualMachines(0).getInconsistentReason(), "the VM was marked");
  }
}
