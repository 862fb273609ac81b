package io.failback.controller.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.failback.controller.cloud.CloudDisk;
import io.failback.controller.cloud.CloudVm;
import io.failback.controller.cloud.DiskFormat;
import io.failback.controller.cloud.PowerState;
import io.failback.proto.v1.VirtualDisk;
import io.failback.proto.v1.VirtualMachine;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** How an on-prem VM's disks and its replica's are told apart: count first, then each size. */
class ReplicaShapeMismatchTest {
  private static final long GIB = 1L << 30;

  @Test
  void fittingDisksAreNoMismatch() {
    assertEquals(Optional.empty(), ReplicaShape.mismatch(vm(GIB, 2 * GIB), replica(GIB, 2 * GIB)));
  }

  @Test
  void anAddedDiskIsNamed() {
    assertEquals(Optional.of("VM db-01 has 3 disk(s) on host hv-01, its replica 2 (a disk was"
        + " added since protection: D:\\db-01\\disk2.vhdx is not in the replica)"),
        ReplicaShape.mismatch(vm(GIB, GIB, GIB), replica(GIB, GIB)));
  }

  @Test
  void aRemovedDiskIsSaid() {
    assertEquals(Optional.of("VM db-01 has 1 disk(s) on host hv-01, its replica 2 (a disk was"
        + " removed since protection)"), ReplicaShape.mismatch(vm(GIB), replica(GIB, GIB)));
  }

  @Test
  void aShrunkDiskIsSaidToo() {
    assertEquals(Optional.of("disk 1 of VM db-01 (D:\\db-01\\disk1.vhdx) is 1.0 GiB on host"
        + " hv-01, 2.0 GiB in its replica (resized since protection)"),
        ReplicaShape.mismatch(vm(GIB, GIB), replica(GIB, 2 * GIB)));
  }

  private static VirtualMachine vm(long... sizes) {
    VirtualMachine.Builder vm = VirtualMachine.newBuilder().setId("vm").setName("db-01")
        .setHostName("hv-01");
    for (int i = 0; i < sizes.length; i++) {
      vm.addDisks(VirtualDisk.newBuilder().setPath("D:\\db-01\\disk" + i + ".vhdx")
          .setVirtualSizeBytes(sizes[i]));
    }
    return vm.build();
  }

  private static CloudVm replica(long... sizes) {
    List<CloudDisk> disks = new java.util.ArrayList<>();
    for (int i = 0; i < sizes.length; i++) {
      disks.add(new CloudDisk("disk-" + i, Path.of("disk-" + i), DiskFormat.QCOW2, sizes[i]));
    }
    return new CloudVm("c", "db-01", "vm", PowerState.OFF, disks, List.of(), Instant.EPOCH);
  }
}
