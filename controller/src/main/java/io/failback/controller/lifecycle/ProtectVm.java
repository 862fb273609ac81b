package io.failback.controller.lifecycle;

import static io.failback.controller.lifecycle.FlowSupport.quietly;

import com.google.protobuf.util.Timestamps;
import io.failback.common.disk.BlockDevice;
import io.failback.common.disk.BlockDevices;
import io.failback.controller.cloud.CloudVm;
import io.failback.proto.v1.FailoverDirection;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.JobResume;
import io.failback.proto.v1.ProtectedItem;
import io.failback.proto.v1.ProtectionState;
import io.failback.proto.v1.SyncMode;
import io.failback.proto.v1.TransferOptions;
import io.failback.proto.v1.VirtualMachine;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One VM's protection: EnableProtection (a new cloud VM shaped like the on-prem one, then a
 * full initial replication) or ReverseReplicate after a failback (a new replica seeded from
 * the state kept at failback commit, then only the blocks changed on-prem since).
 */
class ProtectVm extends ItemWork {
  final boolean reverse;
  private final boolean dataEncryption;
  private final CloudDeviceChoice devices;
  volatile CloudVm cloudVm;
  /**
   * When the copy began, before the agent froze the disks in a read point: the replica holds
   * the on-prem state of a moment after it, so the recovery point is no later than that.
   */
  volatile java.time.Instant copyBegan;
  /** Why the cloud copy may not boot by itself, once the copy was checked. */
  volatile String bootWarning = "";

  /**
   * @param dataEncryption for EnableProtection: whether the item's failbacks encrypt
   * @param devices for EnableProtection: what the request asked for the cloud VM's devices (a
   *     reverse replication keeps the item's)
   */
  ProtectVm(LifecycleContext context, ProtectedItem item, VirtualMachine vm, boolean reverse,
      boolean dataEncryption, io.failback.proto.v1.CloudDevices devices, String tag) {
    super(context, item, vm, tag);
    this.reverse = reverse;
    this.dataEncryption = dataEncryption;
    this.devices = CloudDeviceChoice.of(reverse ? item.getCloudDevices() : devices, vm);
  }

  /** ReverseReplicate: protects failed-back VMs again, sending only what changed on-prem. */
  static Job launchReverse(LifecycleContext context, VmJobs vmJobs, Targets targets,
      TransferOptions transfer) throws Exception {
    Map<String, ProtectedItem> checked =
        ItemChecks.require(context, targets, OperatorAction.REVERSE_REPLICATE);
    List<VmWork> works = new ArrayList<>();
    for (ProtectedItem item : checked.values()) {
      works.add(new ProtectVm(context, item, context.hosts().vm(FlowSupport.onPremVmId(item)),
          true, false, io.failback.proto.v1.CloudDevices.CLOUD_DEVICES_UNSPECIFIED,
          "-v" + works.size()));
    }
    return vmJobs.launch(new VmJobs.Kind("ReverseReplicate",
        FailoverDirection.ON_PREM_TO_CLOUD, false, true, false), targets, works, checked,
        JobResume.newBuilder().setTransfer(transfer).build());
  }

  @Override
  public void begin(String jobId) throws Exception {
    this.jobId = jobId;
    // A reverse replication keeps the item's encryption setting; enabling protection sets it.
    context.items().transition(vmId(), item.getState(), reverse
        ? ProtectionState.REVERSE_REPLICATING : ProtectionState.INITIAL_REPLICATION,
        b -> recordShape(b.setActiveJobId(jobId)
            .setDataEncryption(reverse ? item.getDataEncryption() : dataEncryption)
            .setCloudDevices(devices.toProto())));
  }

  /** Kept for a full download that must recreate the VM without its definition. */
  private void recordShape(ProtectedItem.Builder item) {
    item.setOnPremMemoryBytes(vm.getMemoryBytes())
        .setOnPremProcessorCount(vm.getProcessorCount())
        .setOnPremVmGeneration(vm.getGeneration());
    // Not reported now is unknown now: an older setting could be one changed since.
    if (vm.hasSecureBoot()) {
      item.setOnPremSecureBoot(vm.getSecureBoot());
    } else {
      item.clearOnPremSecureBoot();
    }
  }

  @Override
  public void transfer() throws Exception {
    cloudVm = context.cloud().create(FlowSupport.cloudSpec(vm, devices.devices()));
    String created = cloudVm.id();
    // A controller that continues the job after a restart replicates into this one.
    context.jobs().editResume(jobId, r -> r.putCloudVmIds(vmId(), created));
    // Where the cloud could not match the on-prem shape (a NIC left unplugged), the job says so.
    String notes = " " + devices.describe()
        + (cloudVm.notes().isEmpty() ? "" : "; " + String.join("; ", cloudVm.notes()));
    Replication replication = new Replication(context);
    copyBegan = context.clock().instant();
    step("cloud VM " + cloudVm.id() + " created (off)" + notes);
    if (!reverse) {
      replication.replicate(jobId, tag, FirstCopyBlocks.choose(context, jobId, item,
          vm.getHostName()), vm, cloudVm.id(), SyncMode.FULL, "initial replication");
      checkBoot();
      return;
    }
    boolean seeded = seedFrom(seeds());
    step(seeded
        ? "cloud replica seeded from the state kept at failback commit"
        : "no seed kept: full copy");
    replication.replicate(jobId, tag, item, vm, cloudVm.id(),
        // TRACKED when the failback left reference points: only what the host reports changed.
        seeded ? SyncMode.TRACKED : SyncMode.FULL, "reverse replication");
    checkBoot();
  }

  /** Whether the replica just copied boots by itself: the job says, the item keeps a warning. */
  void checkBoot() throws Exception {
    CloudBootCheck.Result boot = CloudBootCheck.check(context, vm, cloudVm.id());
    if (!boot.step().isEmpty()) {
      step(boot.step());
    }
    bootWarning = boot.warning();
  }

  @Override
  public void startTarget() throws Exception {
    FlowSupport.checkCancel(context, jobId);
    String cloudId = cloudVm.id();
    // Not the end of the copy: a copy of hours holds the disks as they were at its start.
    long point = (copyBegan != null ? copyBegan : context.clock().instant()).toEpochMilli();
    context.items().transition(vmId(), null, ProtectionState.PROTECTED, b -> b
        .setCloudVmId(cloudId).clearActiveJobId().setBootWarning(bootWarning)
        .setLastRecoveryPoint(Timestamps.fromMillis(point)));
    pastNoReturn = true;
    if (reverse) {
      // The seed served its purpose; one left behind only costs space.
      quietly("removing the seed of " + vmName(), () -> FlowSupport.deleteTree(seeds()));
    }
  }

  @Override
  public String abandon(String why, boolean cancelled) {
    if (pastNoReturn) {
      return keptAfterNoReturn(); // the item is PROTECTED by this replica: keep it
    }
    CloudVm created = cloudVm;
    if (created != null) {
      quietly("removing the half-made cloud VM", () -> context.cloud().delete(created.id()));
    }
    ProtectionState back = reverse ? ProtectionState.FAILED_BACK : ProtectionState.UNPROTECTED;
    quietly("returning the item to " + back, () -> context.items().transition(vmId(), null,
        back, b -> b.clearActiveJobId()));
    return "the item is " + back + " again";
  }

  private Path seeds() throws LifecycleException {
    return FlowSupport.seeds(context, item);
  }

  /** Copies the kept seed disks into the new cloud VM; false when there is no seed. */
  private boolean seedFrom(Path seeds) throws Exception {
    for (int i = 0; i < vm.getDisksCount(); i++) {
      if (!Files.exists(seeds.resolve("disk-" + i + ".raw"))) {
        return false;
      }
    }
    for (int i = 0; i < vm.getDisksCount(); i++) {
      try (BlockDevice seed = BlockDevices.open(seeds.resolve("disk-" + i + ".raw"), false);
          BlockDevice disk = context.cloud().openDisk(cloudVm.id(), i, true)) {
        FlowSupport.copyNonZero(seed, disk);
      }
    }
    return true;
  }
}
