package io.failback.controller.lifecycle;

import com.google.protobuf.Descriptors;
import io.failback.controller.cloud.CloudException;
import io.failback.controller.cloud.CloudVm;
import io.failback.controller.cloud.PowerState;
import io.failback.proto.v1.ProtectedItem;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Notices a failed-over VM that is down: while its cloud copy is the active one and no job acts
 * on it, its cloud VM should run, yet a guest powers itself off or crashes, and QEMU or the
 * cloud host dies, without the controller being asked. The item says so ({@code
 * cloud_vm_warning}, with when it was first seen), the log says it once, and the metric counts
 * it, until the VM runs again (RestartCloudVm starts it) or the item moves on. It starts
 * nothing itself: a guest its administrator shut down stays down.
 */
final class CloudVmWatch {
  private static final Logger log = LoggerFactory.getLogger(CloudVmWatch.class);
  private static final Descriptors.FieldDescriptor WARNING = ProtectedItem.getDescriptor()
      .findFieldByNumber(ProtectedItem.CLOUD_VM_WARNING_FIELD_NUMBER);

  private final LifecycleContext context;

  CloudVmWatch(LifecycleContext context) {
    this.context = context;
  }

  /**
   * Looks at every item's cloud VM once, from one listing of the cloud's VMs (one call however
   * many items fail over); an item whose check fails is said and skipped.
   */
  void check(List<ProtectedItem> items) {
    Map<String, CloudVm> vms = new HashMap<>();
    if (items.stream().anyMatch(CloudVmWatch::watched)) {
      try {
        context.cloud().list().forEach(vm -> vms.put(vm.id(), vm));
      } catch (CloudException | RuntimeException e) {
        log.warn("cloud VM check skipped: cannot list the cloud's VMs: " + e.getMessage());
        return;
      }
    }
    for (ProtectedItem item : items) {
      FlowSupport.quietly("checking the cloud VM of " + item.getVmName(),
          () -> check(item, Optional.ofNullable(vms.get(item.getCloudVmId()))));
    }
  }

  private void check(ProtectedItem item, Optional<CloudVm> listed) throws Exception {
    if (!watched(item)) {
      if (!item.getCloudVmWarning().isEmpty()) {
        // Moved on (a failback took the cloud VM down on purpose, or a job acts on it).
        context.items().updateWarning(item.getVmId(), WARNING, now -> "");
      }
      return;
    }
    Optional<CloudVm> vm = listed;
    boolean running = vm.map(v -> v.state() == PowerState.RUNNING).orElse(false);
    if (running == item.getCloudVmWarning().isEmpty()) {
      return; // as the item says already
    }
    if (!running) {
      // Asked again before warning: a job may have started it since the listing.
      vm = context.cloud().get(item.getCloudVmId());
      if (vm.map(v -> v.state() == PowerState.RUNNING).orElse(false)) {
        return;
      }
    }
    String warning = running ? "" : (vm.isEmpty() ? "cloud VM " + item.getCloudVmId()
        + " is gone from the cloud (seen " + context.clock().instant() + "): the failed-over VM"
        + " has no copy running"
        : "cloud VM " + item.getCloudVmId() + " is " + vm.get().state() + " (seen "
            + context.clock().instant() + "): the failed-over VM is down; its guest powered"
            + " off or crashed, or it was stopped outside Failback. RestartCloudVm starts it");
    // Read again in the transaction: a job may have begun, or another sweep said it first.
    ProtectedItem after = context.items().updateWarning(item.getVmId(), WARNING,
        now -> watched(now) && now.getCloudVmWarning().isEmpty() != running ? warning : null);
    if (!after.getCloudVmWarning().equals(warning)) {
      return;
    }
    if (running) {
      log.info(item.getVmName() + " (" + item.getVmId() + "): cloud VM " + item.getCloudVmId()
          + " runs again");
    } else {
      log.warn(item.getVmName() + " (" + item.getVmId() + "): " + warning);
    }
  }

  /**
   * Whether the item's cloud VM should be running now: the active copy, no job on it. Not while
   * a failback's rollback is due: the sweep starts the cloud VM then, and the item's
   * inconsistent_reason says how that goes.
   */
  private static boolean watched(ProtectedItem item) {
    return !item.getCloudVmId().isEmpty() && cloudCopyIdle(item);
  }

  /** The cloud copy is the active one and rests: no job acts on the item, none is due. */
  static boolean cloudCopyIdle(ProtectedItem item) {
    return item.getActiveJobId().isEmpty() && Transitions.cloudCopyRests(item.getState())
        && !ProtectedItems.rollbackDue(item);
  }
}
