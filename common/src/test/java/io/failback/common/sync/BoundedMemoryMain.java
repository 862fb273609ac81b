package io.failback.common.sync;

import io.failback.common.disk.BlockDevice;
import io.failback.common.disk.BlockDevices;
import io.failback.common.testing.MemoryTransport;
import io.failback.proto.v1.DigestAlgorithm;
import io.failback.proto.v1.SyncMode;
import io.failback.proto.v1.SyncParameters;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Random;

/**
 * Syncs a large sparse VHDX into a sparse raw image, both sides in this JVM; run under a small
 * -Xmx by {@link BoundedMemoryTest} to show memory does not grow with the disk.
 */
public final class BoundedMemoryMain {
  private BoundedMemoryMain() {}

  public static void main(String[] args) throws Throwable {
    Path dir = Path.of(args[0]);
    long size = Long.parseLong(args[1]);
    try (BlockDevice source = BlockDevices.createDynamicVhdx(dir.resolve("big.vhdx"), size,
            32 << 20, 512);
        BlockDevice target = BlockDevices.createRawSparse(dir.resolve("big.raw"), size)) {
      Random random = new Random(9);
      byte[] data = new byte[1 << 20];
      for (int i = 0; i < 16; i++) {
        random.nextBytes(data);
        source.write(random.nextLong(size / data.length) * data.length, ByteBuffer.wrap(data));
      }
      source.flush();
      SyncParameters parameters = SyncParameters.newBuilder().setSessionId("big")
          .setMode(SyncMode.valueOf(args[2])).setDigestAlgorithm(DigestAlgorithm.XXH3_128)
          .setDigestSeed(1).setBlockSize(64 * 1024).setBlocksPerBatch(256).setDiskSize(size)
          .setLaneCount(2).setWindowBatches(4).setCompress(true).build();
      SyncHarness harness = new SyncHarness();
      harness.run(parameters, source, target, MemoryTransport.reliable());
      if (!harness.sourceResult.diskDigestHex().equals(harness.targetResult.diskDigestHex())) {
        throw new AssertionError("digests differ");
      }
      Runtime runtime = Runtime.getRuntime();
      System.out.println("OK sent=" + harness.sourceProgress.snapshot().blocksSent()
          + " heapUsed=" + (runtime.totalMemory() - runtime.freeMemory()));
    }
  }
}
