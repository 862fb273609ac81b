package io.failback.controller.lifecycle;

import io.failback.common.disk.BlockDevice;
import io.failback.common.hash.ZeroBlocks;
import io.failback.controller.cloud.Cloud;
import io.failback.controller.cloud.CloudDevices;
import io.failback.controller.cloud.CloudException;
import io.failback.controller.cloud.CloudVmSpec;
import io.failback.controller.cloud.DiskFormat;
import io.failback.controller.cloud.GuestFamily;
import io.failback.controller.cloud.PowerState;
import io.failback.proto.v1.NetworkAdapter;
import io.failback.proto.v1.ProtectedItem;
import io.failback.proto.v1.VirtualDisk;
import io.failback.proto.v1.VirtualMachine;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Small pieces the flows share: job bookkeeping that must not throw, cancellation, specs,
 * copies.
 */
final class FlowSupport {
  private static final Logger log = LoggerFactory.getLogger(FlowSupport.class);

  private FlowSupport() {}

  /** What failed inside a CompletableFuture's CompletionException, or {@code failure}. */
  static Throwable cause(Throwable failure) {
    return failure instanceof java.util.concurrent.CompletionException
        && failure.getCause() != null ? failure.getCause() : failure;
  }

  /** Starts the cloud VM; says what the cloud left out of it ({@link #startNotes}). */
  static String startCloudVm(Cloud cloud, String cloudVmId) throws CloudException {
    cloud.start(cloudVmId);
    return startNotes(cloud, cloudVmId);
  }

  /**
   * Starts the cloud VM unless it runs already or is gone: its start notes ({@link
   * #startCloudVm}) when it started it, else empty.
   */
  static java.util.Optional<String> startUnlessRunning(Cloud cloud, String cloudVmId)
      throws CloudException {
    if (cloud.get(cloudVmId).map(vm -> vm.state() == PowerState.RUNNING).orElse(true)) {
      return java.util.Optional.empty();
    }
    return java.util.Optional.of(startCloudVm(cloud, cloudVmId));
  }

  /** What the cloud left out of the VM at its start just now ("; " before each), or nothing. */
  static String startNotes(Cloud cloud, String cloudVmId) {
    return cloud.startNotes(cloudVmId).stream().map(n -> "; " + n)
        .collect(java.util.stream.Collectors.joining());
  }

  /**
   * Starts the cloud VM again as a failback is abandoned, and says how that went, for the job:
   * an operator reads there whether the cloud copy runs (and what its start left out), so a
   * start that failed is said, never taken for done.
   */
  static String restartCloudVm(Cloud cloud, String cloudVmId) {
    try {
      return "the cloud VM runs again" + startCloudVm(cloud, cloudVmId);
    } catch (CloudException | RuntimeException e) {
      log.warn("restarting cloud VM " + cloudVmId + ": " + e.getMessage());
      return "restarting the cloud VM failed (" + e.getMessage() + "): start it when that is"
          + " mended";
    }
  }

  /** A job update that may fail only if the store is gone; then there is nobody to tell. */
  interface JobUpdate {
    void run() throws Exception;
  }

  static void quietly(String what, JobUpdate update) {
    try {
      update.run();
    } catch (Exception e) {
      log.warn(what + ": " + e.getMessage());
    }
  }

  /** Every protected item; none (said at warn) when the store cannot answer now. */
  static List<io.failback.proto.v1.ProtectedItem> listQuietly(LifecycleContext context,
      String skipped) {
    try {
      return context.items().list();
    } catch (io.failback.controller.store.StoreException e) {
      log.warn(skipped + " skipped: " + e.getMessage());
      return List.of();
    }
  }

  /**
   * Runs a host command of a job that ends (a VM to start again, a drill VM to delete) only if
   * the host answers now, within {@link FailbackRollback#JOB_PROBE}: a cancel must not wait out
   * a command timeout on a hung agent or a stalled link.
   *
   * @return null once done; otherwise why not, for the job's outcome
   */
  static String onAnsweringHost(LifecycleContext context, String host, String what,
      JobUpdate command) {
    if (!context.hosts().answers(host, FailbackRollback.JOB_PROBE)) {
      String why = "host " + host + " does not answer within "
          + FailbackRollback.JOB_PROBE.toSeconds() + " s";
      log.warn(what + ": " + why);
      return why;
    }
    try {
      command.run();
      return null;
    } catch (Exception e) {
      log.warn(what + ": " + e.getMessage());
      return e.getMessage();
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

  /**
   * Where the item's seed disks are kept: a folder named by its VM id, which must be a GUID,
   * so that no id can name a path outside the seed directory.
   */
  static java.nio.file.Path seeds(LifecycleContext context, io.failback.proto.v1.ProtectedItem item)
      throws LifecycleException {
    if (!io.failback.common.ids.VmId.isValid(item.getVmId())) {
      throw new LifecycleException("protected item " + io.failback.common.ids.VmId.problem(
          item.getVmId()) + "; its seed cannot be kept");
    }
    return context.seedDir().resolve(io.failback.common.ids.VmId.parse(item.getVmId())
        .fileName());
  }

  /** The id of the item's on-prem VM on its host: vm_id, unless it moved to another host. */
  /** Names the threads of a lifecycle pool; daemons, so that they never hold the JVM up. */
  static java.util.concurrent.ThreadFactory daemons(String name) {
    return r -> {
      Thread thread = new Thread(r, name);
      thread.setDaemon(true);
      return thread;
    };
  }

  /**
   * The cloud VM's snapshots that a failback or a drill took, without the tracking point its
   * planned failover keeps (the item's failover baseline), which outlives them.
   */
  static List<String> takenSnapshots(LifecycleContext context, ProtectedItem item)
      throws Exception {
    String baseline = item.getFailoverBaseline().getCloudTrackingPoint();
    return context.cloud().snapshots(item.getCloudVmId()).stream()
        .filter(id -> !id.equals(baseline)).toList();
  }

  /** Releases a failover's tracking point, if there is one; a failure is only logged. */
  static void releaseTrackingPoint(LifecycleContext context, String trackingPoint) {
    if (!trackingPoint.isEmpty()) {
      quietly("releasing the failover's tracking point " + trackingPoint,
          () -> context.cloud().releaseSnapshot(trackingPoint));
    }
  }

  static String onPremVmId(ProtectedItem item) {
    return item.getOnPremVmId().isEmpty() ? item.getVmId() : item.getOnPremVmId();
  }

  static List<String> diskPaths(VirtualMachine vm) {
    return vm.getDisksList().stream().map(VirtualDisk::getPath).toList();
  }

  /**
   * A cloud VM shaped like the on-prem one: same disks (format, size), switches, memory, CPUs
   * and generation, with {@code devices} for its guest, and its guest's family as its host
   * reports its OS (whatever the devices: those the operator may change, the OS they cannot).
   */
  static CloudVmSpec cloudSpec(VirtualMachine vm, CloudDevices devices)
      throws LifecycleException {
    List<CloudVmSpec.DiskSpec> disks = new ArrayList<>();
    for (int i = 0; i < vm.getDisksCount(); i++) {
      VirtualDisk disk = vm.getDisks(i);
      if (disk.getFormat() != io.failback.proto.v1.DiskFormat.VHDX
          && disk.getFormat() != io.failback.proto.v1.DiskFormat.RAW) {
        // Never guess: a disk of unknown format copied as raw would not be the VM's disk.
        throw new LifecycleException("disk " + i + " of VM " + vm.getName() + " is in a format"
            + " the agent cannot read (" + disk.getFormat() + ", e.g. VHD or a VHD Set);"
            + " convert it to VHDX on the host first");
      }
      disks.add(new CloudVmSpec.DiskSpec("disk-" + i,
          disk.getFormat() == io.failback.proto.v1.DiskFormat.VHDX ? DiskFormat.VHDX
              : DiskFormat.RAW, disk.getVirtualSizeBytes()));
    }
    List<CloudVmSpec.NicSpec> nics = new ArrayList<>();
    for (NetworkAdapter nic : vm.getNetworkAdaptersList()) {
      nics.add(new CloudVmSpec.NicSpec(nic.getName(), nic.getSwitchName()));
    }
    return new CloudVmSpec(vm.getName(), vm.getId(), disks, nics, vm.getMemoryBytes(),
        vm.getProcessorCount(), vm.getGeneration(), devices, GuestFamily.of(vm.getGuestOs()));
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
