package io.failback.controller.lifecycle;

import static io.failback.controller.lifecycle.FlowSupport.quietly;

import com.google.protobuf.util.Durations;
import com.google.protobuf.util.Timestamps;
import io.failback.controller.cloud.CloudSnapshot;
import io.failback.controller.cloud.CloudVm;
import io.failback.controller.sync.SyncOutcome;
import io.failback.proto.v1.CreateDrillVm;
import io.failback.proto.v1.CreateVm;
import io.failback.proto.v1.FailbackDrill;
import io.failback.proto.v1.PowerState;
import io.failback.proto.v1.ProtectedItem;
import io.failback.proto.v1.ProtectionState;
import io.failback.proto.v1.SyncMode;
import io.failback.proto.v1.SyncRole;
import io.failback.proto.v1.VirtualMachine;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * One VM's failback drill (TestFailback): phase 1 of a failback into a throw-away VM on the
 * target host, which then starts isolated. The cloud VM runs throughout and the item stays
 * FAILED_OVER; the on-prem VM and its disks are only read (to seed the drill disks on the same
 * host), never written or started.
 *
 * <p>The drill VM gets new disks, not a copy-on-write overlay of the on-prem disks: an
 * overlay's parent must not change while the overlay lives, which would hold a real failback
 * back until the drill is cleaned up, and Hyper-V's differencing disks are a format the agent
 * does not write. On the item's own host the agent seeds them from the on-prem disks (only the
 * non-zero blocks, so they stay thin), so phase 1 sends what a real failback's phase 1 would.
 * A drill that fails or is cancelled removes its VM; CleanupTestFailback removes a finished one.
 */
final class TestFailbackVm extends ItemWork {
  /** The drill's host: the item's, or an alternate one. */
  private final String host;
  private volatile VirtualMachine drillVm;
  private volatile CloudSnapshot snapshot;
  private volatile Optional<DowntimeForecast.Costs> costs = Optional.empty();

  TestFailbackVm(LifecycleContext context, ProtectedItem item, VirtualMachine vm, String host,
      String tag) {
    super(context, item, vm, tag);
    this.host = host;
  }

  /** Checks the targets, then (unless {@code validateOnly}: null) starts the drill job. */
  static io.failback.proto.v1.Job launch(LifecycleContext context, VmJobs vmJobs,
      Targets targets, String targetHost, boolean validateOnly) throws Exception {
    java.util.Map<String, ProtectedItem> checked =
        ItemChecks.require(context, targets, OperatorAction.TEST_FAILBACK);
    List<VmWork> works = new ArrayList<>();
    for (ProtectedItem item : checked.values()) {
      String host = targetHost.isEmpty() || targetHost.equalsIgnoreCase(item.getOnPremHost())
          ? item.getOnPremHost() : targetHost;
      works.add(new TestFailbackVm(context, item, check(context, item, host), host,
          "-v" + works.size()));
    }
    return validateOnly ? null : vmJobs.launch(new VmJobs.Kind(
        OperatorAction.TEST_FAILBACK.rpcName(),
        io.failback.proto.v1.FailoverDirection.CLOUD_TO_ON_PREM, false, true, true), targets,
        works, checked);
  }

  /**
   * Refuses, changing nothing, unless the drill can run: the cloud VM exists, the host
   * answers, and on the item's own host its on-prem VM is there and Off.
   *
   * @return the on-prem VM on the item's own host, else null
   */
  private static VirtualMachine check(LifecycleContext context, ProtectedItem item, String host)
      throws Exception {
    String subject = "vm " + item.getVmName() + " (id " + item.getVmId() + ")";
    if (item.getDataEncryption()) {
      throw new LifecycleException("cannot TestFailback " + subject + ": it has data"
          + " encryption, and a drill does not encrypt block payloads end to end yet");
    }
    CloudVm cloudVm = context.cloud().get(item.getCloudVmId()).orElseThrow(
        () -> new LifecycleException("cannot TestFailback " + subject + ": its cloud VM "
            + item.getCloudVmId() + " is gone"));
    if (!context.hosts().isOnline(host)) {
      throw new LifecycleException("cannot TestFailback " + subject + ": host " + host
          + " is offline");
    }
    if (!host.equals(item.getOnPremHost())) {
      return null;
    }
    VirtualMachine onPrem = context.hosts().vm(FlowSupport.onPremVmId(item));
    if (onPrem.getPowerState() != PowerState.OFF) {
      throw new LifecycleException("cannot TestFailback " + subject + ": its on-prem VM is "
          + onPrem.getStateDetail() + "; it must be Off (the cloud copy is active)");
    }
    List<Long> onPremSizes = onPrem.getDisksList().stream()
        .map(d -> d.getVirtualSizeBytes()).toList();
    List<Long> cloudSizes = cloudVm.disks().stream().map(d -> d.virtualSize()).toList();
    if (!onPremSizes.equals(cloudSizes)) {
      throw new LifecycleException("cannot TestFailback " + subject + ": its on-prem disks ("
          + onPremSizes + " bytes) and cloud disks (" + cloudSizes + ") differ in size");
    }
    return onPrem;
  }

  @Override
  public List<String> diskPaths() {
    return List.of(); // the drill VM's disks get their tasks once the host made them
  }

  @Override
  public String host() {
    return host;
  }

  @Override
  public void begin(String jobId) throws Exception {
    this.jobId = jobId;
    Instant now = context.clock().instant();
    drill(b -> b.setJobId(jobId).setHost(host).setStartedAt(Timestamps.fromMillis(
        now.toEpochMilli())), true);
    step("failback drill started on host " + host + ": phase 1 into a throw-away VM, which"
        + " then starts isolated; the cloud VM keeps running and the on-prem VM is not touched");
  }

  @Override
  public void prepare() throws Exception {
    context.transfer().awaitAgent(host, jobId);
    createDrillVm();
    FlowSupport.checkCancel(context, jobId);
    snapshot = context.cloud().snapshot(item.getCloudVmId());
    step("snapshot " + snapshot.id() + " of the cloud disks taken; phase 1 syncs it into the"
        + " drill VM's disks while the cloud VM keeps running");
    List<DiskTransfer.Disk> disks = new ArrayList<>();
    for (int i = 0; i < drillVm.getDisksCount(); i++) {
      disks.add(new DiskTransfer.Disk(i, drillVm.getDisks(i).getPath(), snapshot.disk(i),
          null));
    }
    String sessions = "job-" + jobId + tag + "-drill";
    // No undo journal and no reference point: the drill's disks are thrown away. Every block
    // written is read back: the drill VM must hold the snapshot, not what was sent.
    DiskTransfer.Plan plan = new DiskTransfer.Plan(jobId, vmId(), host, item.getGeneration(),
        SyncMode.DELTA, SyncRole.TARGET, sessions, "", context.seed(sessions), null, false, "",
        DiskTransfer.ReadBack.WRITTEN).withBlocks(blocks());
    Instant started = context.clock().instant();
    List<SyncOutcome> outcomes = context.transfer().run(plan, disks);
    Duration phaseOne = Duration.between(started, context.clock().instant());
    String summary = PhaseReport.record(context, jobId, vmId(), "p1", SyncMode.DELTA, disks,
        outcomes);
    long wire = PhaseReport.bytesOnWire(outcomes);
    drill(b -> b.setPhaseOne(Durations.fromMillis(phaseOne.toMillis()))
        .setPhaseOneBytesOnWire(wire), false);
    step(summary + "; phase 1 took " + phaseOne.toMillis() + " ms");
    // Phase 1 is over: the handle goes (on KVM its backup job would keep the cloud from
    // reporting what changed since); the snapshot stays, to count what phase 2 would send.
    quietly("closing the snapshot", snapshot::close);
    costs = Optional.of(FailbackCosts.of(context, host, snapshot.id(),
        drillVm.getDisksList().stream().map(d -> d.getVirtualSizeBytes()).toList(),
        blocks().bytes()));
  }

  /** What a real failback's phase 2 and start would cost now, as phase 1 ended. */
  @Override
  public Optional<DowntimeForecast.Costs> downtimeCosts() {
    return costs;
  }

  /** The drill VM on the host, isolated; on the item's own host seeded from the on-prem VM. */
  private void createDrillVm() throws Exception {
    CloudVm cloudVm = context.cloud().get(item.getCloudVmId()).orElseThrow(
        () -> new LifecycleException("cloud VM " + item.getCloudVmId() + " is gone"));
    CreateVm.Builder shape = NewVmShape.of(item, Optional.ofNullable(vm), cloudVm)
        .setName(drillName()).clearSwitchNames();
    CreateDrillVm.Builder request = CreateDrillVm.newBuilder().setVm(shape);
    if (vm != null) {
      request.setSeedFromVmId(vm.getId()).setGeneration(item.getGeneration());
    }
    OnPremHosts.DrillVm created = context.hosts().createDrillVm(host, request.build());
    drillVm = created.vm();
    drill(b -> b.setVmId(created.vm().getId()).setVmName(created.vm().getName())
        .setSeeding(Durations.fromMillis(created.seed().getMillis())), false);
    context.jobs().addDiskTasks(jobId, vmId(), FlowSupport.diskPaths(drillVm));
    step(String.format(Locale.ROOT, "drill VM %s created on host %s (id %s, no network"
        + " adapter, %d new disks%s)%s", drillVm.getName(), host, drillVm.getId(),
        drillVm.getDisksCount(), NewVmShape.describeSecureBoot(shape), vm == null
            ? "; its disks start empty (another host)"
            : String.format(Locale.ROOT, "; seeded from the on-prem disks in %d ms (%.1f MiB"
                + " read, %.1f MiB written), which are only read", created.seed().getMillis(),
                created.seed().getBytesRead() / 1048576.0,
                created.seed().getBytesWritten() / 1048576.0)));
  }

  /** Names the drill VM after the item and the job, so an operator tells it apart. */
  private String drillName() {
    String name = item.getVmName().length() > 60 ? item.getVmName().substring(0, 60)
        : item.getVmName();
    return name.strip() + nameSuffix(jobId);
  }

  /** How the names of drill job {@code jobId}'s VMs end. */
  static String nameSuffix(String jobId) {
    return "-drill-" + jobId.substring(0, Math.min(8, jobId.length()));
  }

  @Override
  public void startTarget() throws Exception {
    Duration predicted = costs.map(c -> c.stop().plus(c.transfer()).plus(c.start()))
        .orElse(Duration.ZERO);
    releaseSnapshot();
    context.hosts().clearInconsistent(host, drillVm.getId(), item.getGeneration());
    context.hosts().startVm(host, drillVm.getId(), item.getGeneration());
    PowerState state = context.hosts().inventory(host).stream()
        .flatMap(i -> i.getVirtualMachinesList().stream())
        .filter(v -> v.getId().equalsIgnoreCase(drillVm.getId()))
        .map(VirtualMachine::getPowerState).findFirst().orElse(PowerState.POWER_STATE_UNSPECIFIED);
    if (state != PowerState.RUNNING) {
      throw new LifecycleException("drill VM " + drillVm.getName() + " did not start: host "
          + host + " reports it " + state);
    }
    pastNoReturn = true;
    drill(b -> b.setRunning(true).setPredictedDowntime(Durations.fromMillis(
        predicted.toMillis())), false);
    context.items().transition(vmId(), ProtectionState.FAILED_OVER, ProtectionState.FAILED_OVER,
        b -> b.clearActiveJobId());
    step("drill VM " + drillVm.getName() + " runs isolated on host " + host + "; a real"
        + " failback's downtime is predicted at " + predicted.toMillis() + " ms. The cloud VM"
        + " ran throughout; CleanupTestFailback removes the drill VM");
  }

  @Override
  public String abandon(String why, boolean cancelled) {
    if (pastNoReturn) {
      return keptAfterNoReturn();
    }
    releaseSnapshot();
    VirtualMachine made = drillVm;
    // Made but never answered for (a timeout, a cancelled wait): the host may hold it all the
    // same. A host that does not answer keeps it until CleanupTestFailback.
    boolean gone = FlowSupport.onAnsweringHost(context, host, "removing the drill VM", () -> {
      java.util.Optional<String> id = made != null ? java.util.Optional.of(made.getId())
          : CleanupTestFailbackVm.unrecorded(context, FailbackDrill.newBuilder().setHost(host)
              .setJobId(jobId).build());
      if (id.isPresent()) {
        context.hosts().deleteDrillVm(host, id.get());
      }
    }) == null;
    quietly("recording the drill's end", () -> context.items().transition(vmId(),
        ProtectionState.FAILED_OVER, ProtectionState.FAILED_OVER, b -> {
          b.clearActiveJobId();
          if (gone) {
            b.clearDrill();
          } else {
            b.getDrillBuilder().setFailure("drill job " + jobId + " " + why);
          }
        }));
    return "the cloud VM kept running; " + (made == null && gone ? "no drill VM was made"
        : made == null ? "a drill VM may be left on host " + host + ": run CleanupTestFailback"
        : gone ? "drill VM " + made.getName() + " was removed"
        : "drill VM " + made.getName() + " is left on host " + host
            + ": run CleanupTestFailback");
  }

  private void releaseSnapshot() {
    CloudSnapshot held = snapshot;
    if (held != null) {
      snapshot = null;
      quietly("closing the snapshot", held::close);
      quietly("releasing snapshot " + held.id(),
          () -> context.cloud().releaseSnapshot(held.id()));
    }
  }

  /** Edits the item's drill record; {@code claim} also makes this job the item's active one. */
  private void drill(UnaryOperator<FailbackDrill.Builder> edit, boolean claim)
      throws Exception {
    context.items().transition(vmId(), ProtectionState.FAILED_OVER, ProtectionState.FAILED_OVER,
        b -> {
          edit.apply(b.getDrillBuilder());
          if (claim) {
            b.setActiveJobId(jobId);
          }
        });
  }
}
