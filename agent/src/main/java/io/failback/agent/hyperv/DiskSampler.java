package io.failback.agent.hyperv;

import com.google.protobuf.ByteString;
import io.failback.common.disk.BlockDevice;
import io.failback.common.disk.BlockDevices;
import io.failback.common.hash.BlockDigester;
import io.failback.common.sync.Digests;
import io.failback.common.sync.SyncException;
import io.failback.proto.v1.SampleDigests;
import io.failback.proto.v1.SampleDigestsReport;
import io.failback.proto.v1.VirtualDisk;
import io.failback.proto.v1.VirtualMachine;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * Hashes a few blocks of a disk, read only, so that a pre-flight can tell how much of it differs
 * from the cloud copy without moving any data.
 */
public final class DiskSampler {
  /** Enough for an estimate within a few percent; bounds the reads one request may cause. */
  static final int MAX_BLOCKS = 4096;
  private static final int MAX_BLOCK_SIZE = 16 << 20;

  private final HypervisorDriver driver;

  public DiskSampler(HypervisorDriver driver) {
    this.driver = driver;
  }

  /**
   * Hashes the requested blocks of a disk in the host's inventory.
   *
   * @throws IOException naming what is wrong with the request or the disk; nothing is written
   */
  public SampleDigestsReport sample(SampleDigests request) throws IOException {
    int blockSize = request.getBlockSize();
    if (blockSize <= 0 || blockSize % 512 != 0 || blockSize > MAX_BLOCK_SIZE) {
      throw new IOException("block_size " + blockSize + " is not a multiple of 512 up to "
          + MAX_BLOCK_SIZE);
    }
    if (request.getBlocksCount() > MAX_BLOCKS) {
      throw new IOException("at most " + MAX_BLOCKS + " blocks per sample, got "
          + request.getBlocksCount());
    }
    requireInventoryDisk(request.getDiskPath());
    BlockDigester digester;
    try {
      digester = new BlockDigester(Digests.algorithm(request.getDigestAlgorithm()),
          request.getDigestSeed());
    } catch (SyncException e) {
      throw new IOException(e.getMessage(), e);
    }
    SampleDigestsReport.Builder report = SampleDigestsReport.newBuilder();
    try (BlockDevice disk = BlockDevices.open(Path.of(request.getDiskPath()), false)) {
      long blocks = (disk.size() + blockSize - 1) / blockSize;
      ByteBuffer buffer = ByteBuffer.allocate(blockSize);
      for (long block : request.getBlocksList()) {
        if (block < 0 || block >= blocks) {
          throw new IOException("block " + Long.toUnsignedString(block) + " is beyond the "
              + blocks + " blocks of " + request.getDiskPath());
        }
        long offset = block * blockSize;
        buffer.clear().limit((int) Math.min(blockSize, disk.size() - offset));
        disk.read(offset, buffer);
        buffer.flip();
        report.addDigests(ByteString.copyFrom(digester.digest(buffer)));
      }
    }
    return report.build();
  }

  private void requireInventoryDisk(String path) throws IOException {
    for (VirtualMachine vm : driver.inventory().getVirtualMachinesList()) {
      for (VirtualDisk disk : vm.getDisksList()) {
        if (disk.getPath().equals(path)) {
          return;
        }
      }
    }
    throw new IOException("disk '" + path + "' is not a disk of any VM on this host");
  }
}
