package io.failback.controller.lifecycle;

import io.failback.controller.cloud.CloudException;
import io.failback.controller.cloud.CloudVm;
import io.failback.controller.cloud.PowerState;
import io.failback.controller.store.StoreException;
import io.failback.proto.v1.CloudDevices;
import io.failback.proto.v1.ProtectedItem;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SetCloudDevices: what the cloud copies' disks and NICs appear as to their guests, e.g.
 * EMULATED for a guest the controller took for one with virtio drivers, or VIRTIO once the
 * virtio-win drivers are in. A cloud VM takes it at its next start; an item without one keeps
 * it for the next it gets (reverse replication). Every item is checked before any changes, so
 * a refused request changes nothing.
 */
final class CloudDeviceSetting {
  private static final Logger log = LoggerFactory.getLogger(CloudDeviceSetting.class);

  private final LifecycleContext context;

  CloudDeviceSetting(LifecycleContext context) {
    this.context = context;
  }

  /**
   * @throws InvalidArgumentException when {@code devices} is neither VIRTIO nor EMULATED
   * @throws LifecycleException while a job runs on an item, or its cloud VM runs
   */
  List<ProtectedItem> set(List<String> vmIds, CloudDevices devices) throws Exception {
    if (devices != CloudDevices.VIRTIO && devices != CloudDevices.EMULATED) {
      throw new InvalidArgumentException("cloud_devices must be VIRTIO or EMULATED, got "
          + devices);
    }
    Map<String, Optional<CloudVm>> cloudVms = new LinkedHashMap<>();
    for (String vmId : vmIds) {
      cloudVms.put(vmId, checked(context.items().get(vmId)));
    }
    List<ProtectedItem> changed = new ArrayList<>();
    for (Map.Entry<String, Optional<CloudVm>> entry : cloudVms.entrySet()) {
      if (entry.getValue().isPresent()) {
        context.cloud().setDevices(entry.getValue().get().id(),
            CloudDeviceChoice.fromProto(devices));
      }
      changed.add(context.items().setCloudDevices(entry.getKey(), devices));
      log.info("cloud devices of " + entry.getKey() + " are now " + devices
          + entry.getValue().map(vm -> " (cloud VM " + vm.id() + ", from its next start)")
              .orElse(" (no cloud VM now: for the next one)"));
    }
    return changed;
  }

  /** The item's cloud VM, if it has one, once the change is allowed. */
  private Optional<CloudVm> checked(ProtectedItem item)
      throws LifecycleException, CloudException, StoreException {
    if (!item.getActiveJobId().isEmpty()) {
      throw new LifecycleException("cannot SetCloudDevices of " + item.getVmName() + ": job "
          + item.getActiveJobId() + " runs on it; wait for it or cancel it");
    }
    if (item.getCloudVmId().isEmpty()) {
      return Optional.empty();
    }
    Optional<CloudVm> vm = context.cloud().get(item.getCloudVmId());
    if (vm.isPresent() && vm.get().state() != PowerState.OFF) {
      throw new LifecycleException("cannot SetCloudDevices of " + item.getVmName() + ": its"
          + " cloud VM " + vm.get().id() + " is " + vm.get().state() + "; its devices change"
          + " only while it is OFF");
    }
    return vm;
  }
}
