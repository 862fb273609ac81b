package io.failback.controller.lifecycle;

import static io.failback.controller.lifecycle.FlowSupport.quietly;

import io.failback.controller.cloud.CloudVm;
import io.failback.controller.cloud.PowerState;
import io.failback.proto.v1.CloudDevices;
import io.failback.proto.v1.FailoverDirection;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.ProtectedItem;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One VM's RestartCloudVm: the running copy of a failed-over VM shuts down, takes other devices
 * if asked, and starts again; one that is off just starts. For a guest that does not boot on the
 * devices its copy got, or that hangs. The item stays where it is. Its disks are untouched, and
 * the tracking of the guest's writes since the failover goes on across the restart (the cloud
 * keeps it through a shutdown), so a later failback still sends only those writes.
 */
final class CloudVmRestart extends ItemWork {
  private static final org.slf4j.Logger log =
      org.slf4j.LoggerFactory.getLogger(CloudVmRestart.class);

  private final CloudDevices devices;
  private final boolean force;

  private CloudVmRestart(LifecycleContext context, ProtectedItem item, CloudDevices devices,
      boolean force, String tag) {
    super(context, item, null, tag);
    this.devices = devices;
    this.force = force;
  }

  /**
   * @param devices VIRTIO or EMULATED from this start on; CLOUD_DEVICES_UNSPECIFIED keeps each
   *     item's
   * @param force whether to destroy running cloud VMs at once rather than press their power
   *     button first
   */
  static Job launch(LifecycleContext context, VmJobs vmJobs, Targets targets,
      CloudDevices devices, boolean force) throws Exception {
    if (devices != CloudDevices.CLOUD_DEVICES_UNSPECIFIED && devices != CloudDevices.VIRTIO
        && devices != CloudDevices.EMULATED) {
      throw new InvalidArgumentException("cloud_devices must be VIRTIO, EMULATED or left"
          + " unspecified (keep the item's), got " + devices);
    }
    Map<String, ProtectedItem> checked =
        ItemChecks.require(context, targets, OperatorAction.RESTART_CLOUD_VM);
    for (ProtectedItem item : checked.values()) {
      if (context.cloud().get(item.getCloudVmId()).isEmpty()) {
        throw new LifecycleException("cannot RestartCloudVm " + item.getVmName() + ": its"
            + " cloud VM " + item.getCloudVmId() + " is gone");
      }
    }
    List<VmWork> works = new ArrayList<>();
    for (ProtectedItem item : checked.values()) {
      works.add(new CloudVmRestart(context, item, devices, force, "-v" + works.size()));
    }
    // Not cancellable: a cloud VM left off half-way would be the failed-over VM down. So a
    // plan's VMs restart at once, without its manual actions, which only CancelJob could end.
    return vmJobs.launch(new VmJobs.Kind(OperatorAction.RESTART_CLOUD_VM.rpcName(),
        FailoverDirection.ON_PREM_TO_CLOUD, false, false, false), targets, works, checked);
  }

  @Override
  public String host() {
    return "";
  }

  @Override
  public void begin(String jobId) throws Exception {
    this.jobId = jobId;
    context.items().transition(vmId(), item.getState(), item.getState(),
        b -> b.setActiveJobId(jobId));
  }

  @Override
  public void stopSource() throws Exception {
    CloudVm cloudVm = cloudVm();
    if (cloudVm.state() == PowerState.OFF) {
      step("cloud VM " + cloudVm.id() + " is off (its guest powered off or crashed)");
      return;
    }
    Instant stopping = context.clock().instant();
    sourceStopping = stopping;
    if (force) {
      context.cloud().powerOff(cloudVm.id());
    } else {
      context.cloud().shutdown(cloudVm.id());
    }
    step("cloud VM " + cloudVm.id() + (force ? " powered off at once (force)"
        : " shut down (the power button, destroyed after the cloud's timeout if its guest"
            + " did not answer)") + " in " + seconds(stopping));
  }

  @Override
  public void transfer() throws Exception {
    if (devices == CloudDevices.CLOUD_DEVICES_UNSPECIFIED) {
      return;
    }
    io.failback.controller.cloud.CloudDevices was = cloudVm().devices();
    io.failback.controller.cloud.CloudDevices next = CloudDeviceChoice.fromProto(devices);
    // The item first: if the controller stops before the cloud VM changes, the recovery at its
    // start gives the cloud VM the item's devices before it starts it.
    context.items().setCloudDevices(vmId(), devices);
    context.cloud().setDevices(item.getCloudVmId(), next);
    step(was == next ? "devices stay " + describe(next)
        : "devices " + describe(was) + " → " + describe(next) + " from this start on");
  }

  @Override
  public void startTarget() throws Exception {
    Instant starting = context.clock().instant();
    String notes = FlowSupport.startCloudVm(context.cloud(), item.getCloudVmId());
    pastNoReturn = true;
    context.items().transition(vmId(), item.getState(), item.getState(),
        b -> b.clearActiveJobId());
    step("cloud VM " + item.getCloudVmId() + " started again in " + seconds(starting)
        + "; the tracking of its writes since the failover goes on" + notes);
  }

  @Override
  public String abandon(String why, boolean cancelled) {
    if (pastNoReturn) {
      return keptAfterNoReturn();
    }
    // The cloud copy is the active one: it must not stay off because a step failed.
    String started;
    try {
      started = FlowSupport.startUnlessRunning(context.cloud(), item.getCloudVmId())
          .map(notes -> "; the cloud VM runs again" + notes).orElse("");
    } catch (Exception e) {
      started = "; starting the cloud VM failed (" + e.getMessage() + "): run RestartCloudVm"
          + " once that is mended";
    }
    quietly("releasing the item", () -> context.items().transition(vmId(), item.getState(),
        item.getState(), b -> b.clearActiveJobId()));
    return "the item is " + item.getState() + " as before" + started;
  }

  /**
   * After a controller restart, for an item a RestartCloudVm job named when it stopped: the
   * cloud copy is the active one, so it runs again, with the devices the item says (the job
   * records them there before it changes the cloud VM).
   */
  static void recover(LifecycleContext context, ProtectedItem item) {
    String job = item.getActiveJobId();
    quietly("restarting the cloud VM of " + item.getVmName(), () -> {
      java.util.Optional<CloudVm> cloudVm = context.cloud().get(item.getCloudVmId());
      if (cloudVm.isPresent() && cloudVm.get().state() == PowerState.OFF
          && item.getCloudDevices() != CloudDevices.CLOUD_DEVICES_UNSPECIFIED
          && cloudVm.get().devices() != CloudDeviceChoice.fromProto(item.getCloudDevices())) {
        context.cloud().setDevices(cloudVm.get().id(),
            CloudDeviceChoice.fromProto(item.getCloudDevices()));
      }
      FlowSupport.startUnlessRunning(context.cloud(), item.getCloudVmId()).ifPresent(notes ->
          log.warn(item.getVmName() + ": cloud VM " + item.getCloudVmId() + " started again"
              + " (RestartCloudVm job " + job + " had stopped it)" + notes));
    });
    quietly("releasing " + item.getVmName(), () -> context.items().transition(item.getVmId(),
        item.getState(), item.getState(), b -> b.clearActiveJobId()));
  }

  private CloudVm cloudVm() throws Exception {
    return context.cloud().get(item.getCloudVmId()).orElseThrow(() -> new LifecycleException(
        "cloud VM " + item.getCloudVmId() + " is gone"));
  }

  private String seconds(Instant since) {
    Duration took = Duration.between(since, context.clock().instant());
    return String.format(java.util.Locale.ROOT, "%.1f s", took.toMillis() / 1000.0);
  }

  private static String describe(io.failback.controller.cloud.CloudDevices devices) {
    return devices == io.failback.controller.cloud.CloudDevices.VIRTIO ? "virtio"
        : "SATA disks and e1000e NICs";
  }
}
