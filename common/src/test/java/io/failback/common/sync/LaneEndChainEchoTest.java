package io.failback.common.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.failback.common.testing.MemoryBlockDevice;
import io.failback.common.testing.MemoryTransport;
import io.failback.proto.v1.LaneEnd;
import io.failback.proto.v1.SyncFrame;
import io.failback.proto.v1.SyncMode;
import io.failback.proto.v1.SyncParameters;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A hostile source's LaneEnd with a chain of megabytes: the target's verdict (LaneVerified,
 * sent back to the source) names the chains that differ, but not megabytes of hex.
 */
class LaneEndChainEchoTest {
  @Test
  void theVerdictOnAHugeChainIsBounded() throws Throwable {
    int size = 16 * 4096;
    byte[] source = new byte[size];
    new Random(5).nextBytes(source);
    SyncParameters parameters = SyncParameters.newBuilder().setSessionId("echo")
        .setMode(SyncMode.FULL).setDigestAlgorithm(io.failback.proto.v1.DigestAlgorithm.XXH3_128)
        .setDigestSeed(7).setBlockSize(4096).setBlocksPerBatch(4).setDiskSize(size)
        .setLaneCount(1).setWindowBatches(2).build();
    MemoryTransport transport = MemoryTransport.reliable();
    transport.tamper(frame -> frame.hasLaneEnd() ? SyncFrame.newBuilder().setLaneEnd(
        LaneEnd.newBuilder().setChain(ByteString.copyFrom(new byte[4 << 20]))).build() : frame);
    assertThrows(SyncException.class, () -> new SyncHarness().run(parameters,
        new MemoryBlockDevice(source, 512, false), new MemoryBlockDevice(new byte[size], 512,
            true), transport));
    List<String> verdicts = transport.delivered.stream().filter(SyncFrame::hasLaneVerified)
        .map(frame -> frame.getLaneVerified().getError()).toList();
    assertEquals(1, verdicts.size(), verdicts::toString);
    String error = verdicts.get(0);
    assertTrue(error.contains("digest chains differ"), () -> error.substring(0, 200));
    assertTrue(error.length() <= 1024, "the verdict echoes " + error.length() + " characters");
  }
}
