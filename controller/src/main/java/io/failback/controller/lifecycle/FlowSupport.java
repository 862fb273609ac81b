package io.failback.controller.lifecycle;

import io.failback.common.disk.BlockDevice;
import io.failback.common.hash.ZeroBlocks;
import io.failback.controller.cloud.CloudVmSpec;
import io.failback.controller.cloud.DiskFormat;
import io.failback.proto.v1.NetworkAdapter;
import io.failback.proto.v1.VirtualDisk;
import io.failback.proto.v1.VirtualMachine;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.logging.Logger;

/**
 * Small pieces the flows share: job bookkeeping that must not throw, cancellation, specs,
 * copies.
 */
final class FlowSupport {
  private static final Logger log = Logger.getLogger(FlowSupport.class.getName());

  private FlowSupport() {}

  /** A job update that may fail only if the store is gone; then there is nobody to tell. */
  interface JobUpdate {
    void run() throws Exception;
  }

  static void quietly(String what, JobUpdate update) {
    try {
      update.run();
    } catch (Exception e) {
      log.warning(what + ": " + e.getMessage());
    }
  }

  /** The operator's cancel of a job: its running sessions stop now, the flow at its next check. */
  static void stopSessions(LifecycleContext context, String jobId) {
    context.transfer().running().stream().filter(s -> s.startsWith("job-" + jobId))
        .forEach(session -> context.transfer().cancel(session, "cancelled by the operator"));
  }

  /** Called before each step that changes something the operator would have to undo. */
  static void checkCancel(LifecycleContext context, String jobId) throws LifecycleException {
    if (context.jobs().cancelRequested(jobId)) {
      throw new LifecycleException("cancelled by the operator");
    }
  }

  static void deleteTree(Path dir) throws IOException {
    if (Files.exists(dir)) {
      try (var paths = Files.walk(dir)) {
        for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
          Files.delete(path);
        }
      }
    }
  }

  /** The id of the item's on-prem VM on its host: vm_id, unless it moved to another host. */
  static String onPremVmId(io.failback.proto.v1.ProtectedItem item) {
    return item.getOnPremVmId().isEmpty() ? item.getVmId() : item.getOnPremVmId();
  }

  static List<String> diskPaths(VirtualMachine vm) {
    return vm.getDisksList().stream().map(VirtualDisk::getPath).toList();
  }

  /**
   * A cloud VM shaped like the on-prem one: same disks (format, size), switches, memory and CPUs.
   */
  static CloudVmSpec cloudSpec(VirtualMachine vm) {
    List<CloudVmSpec.DiskSpec> disks = new ArrayList<>();
    for (int i = 0; i < vm.getDisksCount(); i++) {
      VirtualDisk disk = vm.getDisks(i);
      disks.add(new CloudVmSpec.DiskSpec("disk-" + i,
          disk.getFormat() == io.failback.proto.v1.DiskFormat.VHDX ? DiskFormat.VHDX
              : DiskFormat.RAW, disk.getVirtualSizeBytes()));
    }
    List<CloudVmSpec.NicSpec> nics = new ArrayList<>();
    for (NetworkAdapter nic : vm.getNetworkAdaptersList()) {
      nics.add(new CloudVmSpec.NicSpec(nic.getName(), nic.getSwitchName()));
    }
    return new CloudVmSpec(vm.getName(), vm.getId(), disks, nics, vm.getMemoryBytes(),
        vm.getProcessorCount());
  }

  /** Copies the non-zero 64 KiB blocks of {@code from} into {@code to}, which reads as zeros. */
  static void copyNonZero(BlockDevice from, BlockDevice to) throws IOException {
    int chunk = 1 << 20;
    int block = 64 * 1024;
    ByteBuffer buffer = ByteBuffer.allocate(chunk);
    for (long offset = 0; offset < from.size(); offset += chunk) {
      int length = (int) Math.min(chunk, from.size() - offset);
      buffer.clear().limit(length);
      from.read(offset, buffer);
      for (int at = 0; at < length; at += block) {
        int n = Math.min(block, length - at);
        if (!ZeroBlocks.isAllZero(buffer.array(), at, n)) {
          to.write(offset + at, ByteBuffer.wrap(buffer.array(), at, n));
        }
      }
    }
    to.flush();
  }
}
