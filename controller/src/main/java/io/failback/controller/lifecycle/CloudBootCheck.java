package io.failback.controller.lifecycle;

import io.failback.common.disk.BlockDevice;
import io.failback.controller.boot.EfiBootCheck;
import io.failback.controller.boot.EfiBootEntry;
import io.failback.controller.cloud.CloudException;
import io.failback.proto.v1.ProtectedItem;
import io.failback.proto.v1.VirtualMachine;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether a generation 2 VM's cloud copy boots by itself ({@link EfiBootCheck}), read from its
 * replica while the cloud VM is OFF: after protection or reverse replication copied it, and
 * after the delta cycles of an item that warns, until the guest's loader is in place. A check
 * that cannot run is said, never a failure of the copy.
 */
final class CloudBootCheck {
  private static final Logger log = LoggerFactory.getLogger(CloudBootCheck.class);

  /**
   * What the job says, the item's warning (empty: none), and whether the replica's disks were
   * read: a check that could not read them says nothing of the warning.
   */
  record Result(String step, String warning, boolean read) {}

  private CloudBootCheck() {}

  /**
   * The check of {@code vm}'s replica in cloud VM {@code cloudVmId}: of the first disk with an
   * EFI system partition. None at all says nothing: such a VM boots from the network or a DVD,
   * or not at all, on-prem as well.
   */
  static Result check(LifecycleContext context, VirtualMachine vm, String cloudVmId) {
    if (vm.getGeneration() != 2) {
      return new Result("", "", true); // a BIOS boots the disk's own boot code, copied too
    }
    try {
      for (int i = 0; i < vm.getDisksCount(); i++) {
        Optional<EfiBootCheck.Verdict> verdict;
        try (BlockDevice disk = context.cloud().openDisk(cloudVmId, i, false)) {
          verdict = EfiBootCheck.of(disk);
        }
        if (verdict.isPresent()) {
          return result(context, cloudVmId, vm, i, verdict.get());
        }
      }
      return new Result("", "", true);
    } catch (Exception e) {
      return new Result("boot check skipped: cannot read the replica's disks (" + e.getMessage()
          + ")", "", false);
    }
  }

  private static Result result(LifecycleContext context, String cloudVmId, VirtualMachine vm,
      int disk, EfiBootCheck.Verdict verdict) {
    String where = " (disk " + disk + ")";
    if (verdict.bootable()) {
      return new Result("boot check: the cloud copy boots by itself: " + verdict.summary()
          + where, "", true);
    }
    String entryProblem = "";
    if (verdict.entry().isPresent()) {
      EfiBootEntry entry = verdict.entry().get();
      try {
        if (context.cloud().setBootEntry(cloudVmId, entry)) {
          return new Result("boot check: " + verdict.summary() + where + "; the cloud copy"
              + " boots through the entry Failback wrote into its firmware's variable store, as"
              + " the guest's OS did on-prem: " + entry.devicePath(), "", true);
        }
        entryProblem = "; this cloud keeps no boot entries";
      } catch (CloudException e) {
        entryProblem = "; writing a boot entry for " + entry.loaderPath() + " failed ("
            + e.getMessage() + ")";
      }
    }
    String warning = "the cloud copy may not boot by itself: " + verdict.summary() + where
        + entryProblem + "; it starts without the on-prem VM's boot entries, so install the"
        + " boot loader at the removable-media path in the guest as well (Debian: grub-install"
        + " --force-extra-removable); the next delta cycle checks again";
    log.warn("vm " + vm.getName() + " (" + vm.getId() + "): " + warning);
    return new Result("boot check: " + warning, warning, true);
  }

  /** After a delta cycle: clears the item's warning once its replica boots by itself. */
  static void recheck(LifecycleContext context, ProtectedItem item, VirtualMachine vm) {
    if (item.getBootWarning().isEmpty()) {
      return;
    }
    Result result = check(context, vm, item.getCloudVmId());
    if (result.read() && result.warning().isEmpty()) {
      try {
        context.items().setBootWarning(item.getVmId(), "");
        log.info("vm " + vm.getName() + ": " + result.step());
      } catch (Exception e) {
        log.warn("vm " + vm.getName() + ": cannot clear the boot warning: " + e.getMessage());
      }
    }
  }
}
