package io.failback.agent.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.disk.BlockDevice;
import io.failback.proto.v1.StartSync;
import io.failback.proto.v1.SyncMode;
import io.failback.proto.v1.SyncParameters;
import io.failback.proto.v1.SyncRole;
import java.io.IOException;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/** What an agent takes as a warm-up session: nothing that reaches a disk, a VM or its state. */
class WarmUpSessionsTest {
  private static final StartSync WARM_UP = StartSync.newBuilder()
      .setParameters(SyncParameters.newBuilder().setSessionId("w").setMode(SyncMode.FULL)
          .setBlockSize(65536).setBlocksPerBatch(256).setDiskSize(64L << 20))
      .setAgentRole(SyncRole.TARGET).setWarmUp(true).build();

  @Test
  void aWarmUpGetsAScratchDiskOfItsSize() throws IOException {
    try (BlockDevice scratch = WarmUpSessions.scratch(WARM_UP)) {
      assertEquals(64L << 20, scratch.size());
      assertTrue(scratch.writable());
    }
  }

  @Test
  void anythingThatWouldReachBeyondTheScratchDiskIsRefused() {
    assertRefused(s -> s.setAgentRole(SyncRole.SOURCE), "the agent must be its target");
    assertRefused(s -> s.setDiskPath("C:\\VMs\\app.vhdx"), "it names no disk_path");
    assertRefused(s -> s.setUndoJournal("j"), "it keeps no undo journal");
    assertRefused(s -> s.setReferenceAfterWrite(true), "it makes no reference point");
    assertRefused(s -> s.setReadPointToken("t"), "it reads no read point");
    assertRefused(s -> s.setContinueReadPoint(true), "it reads no read point");
    assertRefused(s -> s.setParameters(s.getParameters().toBuilder().setMode(SyncMode.TRACKED)),
        "its mode must be FULL");
    assertRefused(s -> s.setParameters(s.getParameters().toBuilder().setDigestSet("d")),
        "it records no digest set");
    assertRefused(s -> s.setParameters(s.getParameters().toBuilder().setVerifyReread(true)),
        "it reads nothing back");
    assertRefused(s -> s.setParameters(s.getParameters().toBuilder()
        .setDiskSize((4L << 30) + 65536)), "its disk_size is at most 4294967296 bytes");
    assertRefused(s -> s.setParameters(s.getParameters().toBuilder().setDiskSize(1000)),
        "both must be positive multiples of 512");
  }

  private static void assertRefused(UnaryOperator<StartSync.Builder> change, String why) {
    IOException e = assertThrows(IOException.class,
        () -> WarmUpSessions.scratch(change.apply(WARM_UP.toBuilder()).build()));
    assertTrue(e.getMessage().startsWith("refused as a warm-up session: ")
        && e.getMessage().contains(why), e.getMessage());
  }
}
