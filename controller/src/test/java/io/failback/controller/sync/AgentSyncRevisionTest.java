package io.failback.controller.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.failback.proto.v1.SyncMode;
import io.failback.proto.v1.SyncParameters;
import org.junit.jupiter.api.Test;

/** A session asks an agent only for what its protocol revision takes. */
class AgentSyncRevisionTest {
  private static final SyncParameters TRACKED = SyncParameters.newBuilder()
      .setSessionId("p2").setMode(SyncMode.TRACKED).setBatchesPerEnd(4096).build();

  @Test
  void anAgentFromBeforeRevisionsGetsOneBatchPerEnd() {
    assertEquals(0, AgentSyncRevision.spokenBy(0, TRACKED).getBatchesPerEnd());
    assertEquals(0, AgentSyncRevision.spokenBy(1, TRACKED).getBatchesPerEnd());
    assertEquals(TRACKED.toBuilder().clearBatchesPerEnd().build(),
        AgentSyncRevision.spokenBy(1, TRACKED), "nothing else changes");
  }

  @Test
  void anAgentOfRevisionTwoOrLaterGetsRuns() {
    assertEquals(TRACKED, AgentSyncRevision.spokenBy(2, TRACKED));
    assertEquals(TRACKED, AgentSyncRevision.spokenBy(Integer.MAX_VALUE, TRACKED));
    // Read as unsigned, as the wire's uint32 is: a huge revision is not an old agent.
    assertEquals(TRACKED, AgentSyncRevision.spokenBy(-1, TRACKED));
  }

  @Test
  void runsOfZerosInADeltaSessionNeedRevisionThree() {
    SyncParameters delta = TRACKED.toBuilder().setMode(SyncMode.DELTA).setBatchesPerEnd(256)
        .build();
    assertEquals(0, AgentSyncRevision.spokenBy(2, delta).getBatchesPerEnd());
    assertEquals(delta.toBuilder().clearBatchesPerEnd().build(),
        AgentSyncRevision.spokenBy(2, delta), "nothing else changes");
    assertEquals(delta, AgentSyncRevision.spokenBy(3, delta));
    assertEquals(TRACKED, AgentSyncRevision.spokenBy(2, TRACKED), "TRACKED runs stay at 2");
  }

  @Test
  void aWarmUpGoesOnlyToAnAgentThatTakesOne() {
    io.failback.proto.v1.StartSync warm = io.failback.proto.v1.StartSync.newBuilder()
        .setParameters(TRACKED).setWarmUp(true).build();
    assertEquals("the agent speaks sync revision 3, from before warm-up sessions (4)",
        AgentSyncRevision.refusal(3, warm));
    assertEquals(null, AgentSyncRevision.refusal(4, warm));
    assertEquals(null, AgentSyncRevision.refusal(0, warm.toBuilder().setWarmUp(false).build()),
        "any agent takes what is not a warm-up");
  }
}
