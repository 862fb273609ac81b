package io.failback.agent.hyperv.simulated;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.agent.hyperv.ChangeTracking.ByteRange;
import io.failback.agent.hyperv.SourceTracking;
import io.failback.agent.hyperv.simulated.SimulatedHostSeeder.DiskSpec;
import io.failback.agent.hyperv.simulated.SimulatedHostSeeder.VmSpec;
import io.failback.agent.hyperv.state.ReadPoints;
import io.failback.proto.v1.DiskFormat;
import io.failback.proto.v1.SyncMode;
import io.failback.proto.v1.SyncParameters;
import io.failback.proto.v1.VirtualMachine;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SimulatedChangeTrackingTest {
  private static final int BLOCK = 64 * 1024;
  private static final long SIZE = 1 << 20;
  @TempDir Path dir;

  private SimulatedHypervisor host() throws IOException {
    SimulatedHostSeeder.seed(dir.resolve("host"), "hv-01", List.of(new VmSpec("app-01",
        "Running", List.of("LAN"), List.of(new DiskSpec(DiskFormat.RAW, SIZE),
            new DiskSpec(DiskFormat.VHDX, SIZE)))));
    return new SimulatedHypervisor(dir.resolve("host"));
  }

  private static void write(String disk, long offset, int length, int value) throws IOException {
    try (RandomAccessFile file = new RandomAccessFile(disk, "rw")) {
      file.seek(offset);
      byte[] data = new byte[length];
      java.util.Arrays.fill(data, (byte) value);
      file.write(data);
    }
  }

  @Test
  void reportsTheBlocksWrittenSinceTheReferencePoint() throws IOException {
    SimulatedHypervisor host = host();
    VirtualMachine vm = host.inventory().getVirtualMachines(0);
    String raw = vm.getDisks(0).getPath();
    SimulatedChangeTracking tracking = new SimulatedChangeTracking(host.changeTrackingDir());
    Map<String, String> references = references(tracking, raw, vm.getDisks(1).getPath());
    assertEquals(2, references.size());
    assertEquals(Optional.of(List.of()), tracking.changedSince(raw, references.get(raw), SIZE));

    write(raw, 3L * BLOCK + 100, 10, 1); // inside block 3
    write(raw, 9L * BLOCK - 1, 2, 2); // the last byte of block 8 and the first of 9
    assertEquals(Optional.of(List.of(new ByteRange(3L * BLOCK, BLOCK),
        new ByteRange(8L * BLOCK, BLOCK), new ByteRange(9L * BLOCK, BLOCK))),
        tracking.changedSince(raw, references.get(raw), SIZE));
  }

  @Test
  void unknownLostOrForeignReferencesAreUnknownNotEmpty() throws IOException {
    SimulatedHypervisor host = host();
    VirtualMachine vm = host.inventory().getVirtualMachines(0);
    String raw = vm.getDisks(0).getPath();
    String vhdx = vm.getDisks(1).getPath();
    SimulatedChangeTracking tracking = new SimulatedChangeTracking(host.changeTrackingDir());
    String reference = tracking.createReferencePoint(raw, Path.of(raw));
    assertEquals(Optional.empty(), tracking.changedSince(vhdx, reference, SIZE));
    assertEquals(Optional.empty(), tracking.changedSince(raw, "", SIZE));
    assertEquals(Optional.empty(), tracking.changedSince(raw, "../../etc/passwd", SIZE));
    deleteReference(host, reference);
    assertEquals(Optional.empty(), tracking.changedSince(raw, reference, SIZE));
  }

  private static void deleteReference(SimulatedHypervisor host, String reference)
      throws IOException {
    try (var files = Files.list(host.changeTrackingDir())) {
      Files.delete(files.filter(f -> f.toString().endsWith("." + reference + ".ref"))
          .findFirst().orElseThrow());
    }
  }

  @Test
  void keepsTheNewestReferencePointsOfEachDisk() throws IOException {
    SimulatedHypervisor host = host();
    VirtualMachine vm = host.inventory().getVirtualMachines(0);
    String raw = vm.getDisks(0).getPath();
    String vhdx = vm.getDisks(1).getPath();
    SimulatedChangeTracking tracking = new SimulatedChangeTracking(host.changeTrackingDir());
    String other = tracking.createReferencePoint(vhdx, Path.of(vhdx));
    List<String> references = new java.util.ArrayList<>();
    for (int i = 0; i < SimulatedChangeTracking.KEPT + 2; i++) {
      references.add(tracking.createReferencePoint(raw, Path.of(raw)));
    }
    for (int i = 0; i < references.size(); i++) {
      assertEquals(i >= 2, tracking.changedSince(raw, references.get(i), SIZE).isPresent(),
          "reference " + i);
    }
    assertTrue(tracking.changedSince(vhdx, other, SIZE).isPresent(), "another disk's stays");
  }

  @Test
  void aWriteDuringTheSessionIsInTheNextChangedSet() throws Exception {
    SimulatedHypervisor host = host();
    VirtualMachine vm = host.inventory().getVirtualMachines(0);
    String raw = vm.getDisks(0).getPath();
    ReadPoints readPoints = new ReadPoints(host, dir.resolve("state"));
    SyncParameters recording = SyncParameters.newBuilder().setMode(SyncMode.DELTA)
        .setBlockSize(BLOCK).setDiskSize(SIZE).setDigestSet("rep-d0").build();
    String reference;
    try (ReadPoints.Lease first = readPoints.join(vm.getId())) {
      assertNull(SourceTracking.fromReadPoint(first.point(), raw, recording, "").changed(),
          "a checksum pass has no changed set");
      write(raw, 5L * BLOCK, 1, 7); // the guest writes while the session reads
      reference = first.succeeded(raw);
    }
    assertFalse(reference.isEmpty());

    SyncParameters tracked = recording.toBuilder().setMode(SyncMode.TRACKED).build();
    try (ReadPoints.Lease next = readPoints.join(vm.getId())) {
      BitSet expected = new BitSet();
      expected.set(5);
      assertEquals(expected, SourceTracking.fromReadPoint(next.point(), raw, tracked,
          reference).changed());
      SourceTracking.ReferenceUnknownException unknown = assertThrows(
          SourceTracking.ReferenceUnknownException.class, () -> SourceTracking.fromReadPoint(
              next.point(), raw, tracked, "sim-rct-gone"));
      assertTrue(unknown.getMessage().contains("'sim-rct-gone'"), unknown.getMessage());
    }
  }

  private static Map<String, String> references(SimulatedChangeTracking tracking,
      String... disks) throws IOException {
    Map<String, String> references = new java.util.LinkedHashMap<>();
    for (String disk : disks) {
      references.put(disk, tracking.createReferencePoint(disk, Path.of(disk)));
    }
    return references;
  }
}
