package io.failback.controller.lifecycle;

import io.failback.controller.cloud.CloudVm;
import io.failback.controller.cloud.CloudVmSpec.NicSpec;
import io.failback.proto.v1.DataSync;
import io.failback.proto.v1.DiskType;
import io.failback.proto.v1.FailoverEstimate;
import io.failback.proto.v1.HostInventory;
import io.failback.proto.v1.PowerState;
import io.failback.proto.v1.PreflightProblem;
import io.failback.proto.v1.PreflightReport;
import io.failback.proto.v1.ProtectedItem;
import io.failback.proto.v1.ProtectionState;
import io.failback.proto.v1.StoragePath;
import io.failback.proto.v1.VirtualDisk;
import io.failback.proto.v1.VirtualMachine;
import io.failback.proto.v1.VirtualSwitch;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * PlannedFailover's pre-flight (validate only): every problem at once, and when there is none
 * an estimate of what each data-sync option would send and how long it would take. It reads,
 * never writes: no job, no state change, no VM stopped.
 * The estimate is {@link PreflightEstimate}'s.
 */
final class Preflight {
  private final LifecycleContext context;
  private final List<PreflightProblem> problems = new ArrayList<>();
  private final List<Failback> failbacks = new ArrayList<>();

  /**
   * A VM that would fail back, and where to.
   *
   * @param onPrem the VM whose disks would be written; null on an alternate host, where the VM
   *     is created with empty disks
   */
  record Failback(ProtectedItem item, VirtualMachine onPrem, String host) {}

  /** Where problems are recorded. */
  interface Problems {
    void add(String vmId, String check, String message);
  }

  Preflight(LifecycleContext context) {
    this.context = context;
  }

  /** The problems alone, without sampling anything: the checks a real run starts with. */
  List<PreflightProblem> problems(Targets targets, String targetHost, String certificate)
      throws Exception {
    for (String vmId : targets.vmIds()) {
      checkVm(vmId, targetHost, certificate, DataSync.DATA_SYNC_UNSPECIFIED);
    }
    return List.copyOf(problems);
  }

  /**
   * Every problem, and when there is none an estimate; a disk the host cannot read while
   * sampling is one more problem, not a failed call. A full download needs no on-prem disk, so
   * none is sampled for it.
   */
  PreflightReport run(Targets targets, DataSync dataSync, String targetHost,
      String certificate) throws Exception {
    for (String vmId : targets.vmIds()) {
      checkVm(vmId, targetHost, certificate, dataSync);
    }
    FailoverEstimate estimate = problems.isEmpty() && !failbacks.isEmpty()
        ? new PreflightEstimate(context, failbacks, this::problem)
            .estimate(dataSync == DataSync.FULL_DOWNLOAD) : null;
    PreflightReport.Builder report = PreflightReport.newBuilder().addAllProblems(problems);
    if (estimate != null && problems.isEmpty()) {
      report.setEstimate(estimate);
    }
    return report.build();
  }

  private void checkVm(String vmId, String targetHost, String certificate, DataSync dataSync)
      throws Exception {
    ProtectedItem item;
    try {
      item = context.items().requireAction(vmId, OperatorAction.PLANNED_FAILOVER);
    } catch (NotFoundException | IllegalTransitionException e) {
      problem(vmId, "state", e.getMessage());
      return;
    }
    boolean alternate = !targetHost.isEmpty()
        && !targetHost.equalsIgnoreCase(item.getOnPremHost());
    String host = alternate ? targetHost : item.getOnPremHost();
    if (!context.hosts().isOnline(host)) {
      problem(vmId, "agent_offline", "the agent of host " + host + " is offline; start it or"
          + " check its connection to the controller");
    }
    Optional<HostInventory> target = context.hosts().inventory(host);
    if (target.isEmpty()) {
      problem(vmId, "agent_offline", "host " + host + " has never registered");
    }
    Optional<VirtualMachine> onPrem = context.hosts().inventory(item.getOnPremHost())
        .flatMap(inventory -> find(inventory, FlowSupport.onPremVmId(item)));
    if (onPrem.isEmpty() && !alternate) {
      problem(vmId, "vm_missing", "host " + item.getOnPremHost() + " does not report vm "
          + item.getVmName() + " (id " + item.getVmId() + ")");
      return;
    }
    for (VirtualDisk disk : onPrem.map(VirtualMachine::getDisksList).orElse(List.of())) {
      if (disk.getType() == DiskType.DIFFERENCING && !alternate) {
        problem(vmId, "unsupported_disk", "disk " + disk.getPath() + " is a differencing disk;"
            + " merge the VM's checkpoints first");
      }
    }
    if (item.getState() == ProtectionState.PROTECTED) {
      if (alternate) {
        problem(vmId, "state", "target_host applies to a failback only; vm "
            + item.getVmName() + " is PROTECTED and fails over to the cloud");
      }
      for (String refusal : ToCloudRequest.failbackOnly(dataSync, certificate)) {
        problem(vmId, "state", refusal + "; vm " + item.getVmName() + " is PROTECTED");
      }
      if (onPrem.isPresent()) {
        ReplicaShape.mismatch(context, item, onPrem.get()).ifPresent(
            m -> problem(vmId, "disk_layout", m + "; " + ReplicaShape.REMEDY));
      }
      return; // towards the cloud: the on-prem VM is the source and may run
    }
    Optional<CloudVm> cloudVm = context.cloud().get(item.getCloudVmId());
    if (cloudVm.isEmpty()) {
      problem(vmId, "cloud_vm_missing", "the cloud VM " + item.getCloudVmId() + " of "
          + item.getVmName() + " is gone; nothing to fail back");
      return;
    }
    if (onPrem.isPresent() && onPrem.get().getPowerState() != PowerState.OFF) {
      problem(vmId, "vm_running", "vm " + item.getVmName() + " is "
          + onPrem.get().getStateDetail() + " on host " + item.getOnPremHost()
          + " while its cloud copy is active (two live copies): the failback turns it off"
          + " first and overwrites what it wrote since the failover (kept in the undo journals"
          + " until commit)");
    }
    if (onPrem.isPresent() && !alternate) {
      ReplicaShape.mismatch(onPrem.get(), cloudVm.get(), "the cloud VM").ifPresent(m ->
          problem(vmId, "disk_layout", m + "; " + ReplicaShape.FAILBACK_REMEDY));
    }
    // The adapters and disks as the VM runs in the cloud: what comes back, on whichever host.
    if (target.isPresent()) {
      checkTargetHost(item, cloudVm.get(), host, target.get(), alternate, certificate);
    }
    failbacks.add(new Failback(item, alternate ? null : onPrem.get(), host));
  }

  private void checkTargetHost(ProtectedItem item, CloudVm cloudVm, String host,
      HostInventory inventory, boolean alternate, String certificate)
      throws LifecycleException {
    for (NicSpec nic : cloudVm.nics()) {
      if (!nic.switchName().isEmpty() && inventory.getVirtualSwitchesList().stream()
          .map(VirtualSwitch::getName).noneMatch(nic.switchName()::equalsIgnoreCase)) {
        problem(item.getVmId(), "switch_missing", "host " + host + " has no virtual switch '"
            + nic.switchName() + "' for network adapter '" + nic.name() + "' of "
            + item.getVmName());
      }
    }
    if (alternate) {
      long needed = cloudVm.disks().stream().mapToLong(d -> d.virtualSize()).sum();
      long free = inventory.getStoragePathsList().stream()
          .filter(p -> p.getPath().equalsIgnoreCase(inventory.getDefaultVmPath()))
          .mapToLong(StoragePath::getFreeBytes).max().orElse(0);
      if (free < needed) {
        problem(item.getVmId(), "free_space", "host " + host + " has " + free + " bytes free at "
            + inventory.getDefaultVmPath() + "; the disks of " + item.getVmName() + " need up to "
            + needed);
      }
    }
    // The very check the real request makes, so the pre-flight passes only what it accepts.
    try {
      new EncryptionChoice(context).select(item, host, certificate);
    } catch (InvalidArgumentException e) {
      problem(item.getVmId(), "certificate_missing", e.getMessage());
    } catch (LifecycleException e) {
      boolean held = inventory.getEncryptionCertificatesList().stream()
          .anyMatch(c -> c.getThumbprint().equalsIgnoreCase(certificate));
      problem(item.getVmId(), held ? "certificate_unusable" : "certificate_not_held",
          e.getMessage());
    }
  }

  private static Optional<VirtualMachine> find(HostInventory inventory, String vmId) {
    return inventory.getVirtualMachinesList().stream()
        .filter(vm -> vm.getId().equalsIgnoreCase(vmId)).findFirst();
  }

  private void problem(String vmId, String check, String message) {
    problems.add(problemOf(vmId, check, message));
  }

  /** One problem of a pre-flight, PlannedFailover's or UnplannedFailover's. */
  static PreflightProblem problemOf(String vmId, String check, String message) {
    return PreflightProblem.newBuilder().setVmId(vmId).setCheck(check).setMessage(message)
        .build();
  }
}
