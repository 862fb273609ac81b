package io.failback.agent.hyperv;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.agent.hyperv.simulated.SimulatedHostSeeder;
import io.failback.agent.hyperv.simulated.SimulatedHostSeeder.DiskSpec;
import io.failback.agent.hyperv.simulated.SimulatedHostSeeder.VmSpec;
import io.failback.agent.hyperv.simulated.SimulatedHypervisor;
import io.failback.common.hash.BlockDigester;
import io.failback.common.hash.DigestAlgorithm;
import io.failback.proto.v1.DiskFormat;
import io.failback.proto.v1.SampleDigests;
import io.failback.proto.v1.SampleDigestsReport;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DiskSamplerTest {
  private static final int BLOCK = 64 * 1024;
  @TempDir Path dir;

  private String seededDisk() throws IOException {
    SimulatedHostSeeder.seed(dir.resolve("host"), "hv-01", List.of(new VmSpec("app-01", "Off",
        List.of("LAN"), List.of(new DiskSpec(DiskFormat.RAW, 1 << 20)))));
    return new SimulatedHypervisor(dir.resolve("host")).inventory().getVirtualMachines(0)
        .getDisks(0).getPath();
  }

  private static SampleDigests.Builder request(String disk) {
    return SampleDigests.newBuilder().setDiskPath(disk).setBlockSize(BLOCK)
        .setDigestAlgorithm(io.failback.proto.v1.DigestAlgorithm.XXH3_128).setDigestSeed(7);
  }

  @Test
  void digestsTheRequestedBlocksInOrderWithoutChangingTheDisk() throws IOException {
    String disk = seededDisk();
    byte[] pattern = new byte[BLOCK];
    java.util.Arrays.fill(pattern, (byte) 0x5a);
    try (RandomAccessFile file = new RandomAccessFile(disk, "rw")) {
      file.seek(3L * BLOCK);
      file.write(pattern);
    }
    byte[] before = Files.readAllBytes(Path.of(disk));
    SampleDigestsReport report = new DiskSampler(new SimulatedHypervisor(dir.resolve("host")))
        .sample(request(disk).addBlocks(3).addBlocks(0).build());
    BlockDigester digester = new BlockDigester(DigestAlgorithm.XXH3_128, 7);
    assertEquals(2, report.getDigestsCount());
    assertArrayEquals(digester.digest(pattern, 0, BLOCK), report.getDigests(0).toByteArray());
    assertArrayEquals(digester.zeroBlockDigest(BLOCK), report.getDigests(1).toByteArray());
    assertArrayEquals(before, Files.readAllBytes(Path.of(disk)));
  }

  @Test
  void badRequestsAreRefusedNamingWhatIsWrong() throws IOException {
    String disk = seededDisk();
    DiskSampler sampler = new DiskSampler(new SimulatedHypervisor(dir.resolve("host")));
    assertTrue(assertThrows(IOException.class, () -> sampler.sample(request(disk)
        .addBlocks(16).build())).getMessage().contains("beyond the 16 blocks"));
    assertTrue(assertThrows(IOException.class, () -> sampler.sample(request(disk)
        .setBlockSize(1000).build())).getMessage().contains("block_size 1000"));
    assertTrue(assertThrows(IOException.class, () -> sampler.sample(request("/etc/passwd")
        .addBlocks(0).build())).getMessage().contains("not a disk of any VM"));
    assertTrue(assertThrows(IOException.class, () -> sampler.sample(request(disk)
        .setDigestAlgorithm(io.failback.proto.v1.DigestAlgorithm.DIGEST_ALGORITHM_UNSPECIFIED)
        .addBlocks(0).build())).getMessage().contains("digest_algorithm"));
  }
}
