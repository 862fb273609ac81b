package io.failback.controller.lifecycle;

import static io.failback.controller.lifecycle.FlowSupport.checkCancel;
import static io.failback.controller.lifecycle.FlowSupport.quietly;

import io.failback.common.disk.BlockDevice;
import io.failback.controller.cloud.CloudException;
import io.failback.controller.store.StoreException;
import io.failback.controller.sync.SyncOutcome;
import io.failback.controller.tuning.BlockSize;
import io.failback.proto.v1.DiskTracking;
import io.failback.proto.v1.ProtectedItem;
import io.failback.proto.v1.ProtectionState;
import io.failback.proto.v1.SyncMode;
import io.failback.proto.v1.SyncRole;
import io.failback.proto.v1.VirtualMachine;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** On-prem to cloud data movement: a job's replication of a VM, and the periodic cycles. */
final class Replication {
  private static final Logger log = LoggerFactory.getLogger(Replication.class);
  private final LifecycleContext context;
  private final List<Consumer<CycleEnd>> cycleListeners = new CopyOnWriteArrayList<>();

  private final CycleRounds rounds;

  Replication(LifecycleContext context) {
    this.context = context;
    this.rounds = new CycleRounds(context, this::cycle);
  }

  /**
   * Syncs every disk of the on-prem VM into the (off) cloud VM; a cancel of the job stops it.
   *
   * @param tag tells this VM's sessions apart from the other VMs of the job
   */
  void replicate(String jobId, String tag, ProtectedItem item, VirtualMachine vm,
      String cloudVmId, SyncMode mode, String what) throws Exception {
    ReentrantLock replica = context.replicaLocks().of(item.getVmId());
    // Before the replica's disks are opened: a delta cycle still writing them holds them open,
    // and a cloud that locks its images (the KVM cloud's qemu-nbd) refuses a second writer.
    replica.lockInterruptibly();
    try {
      replicateLocked(jobId, tag, item, vm, cloudVmId, mode, what);
    } finally {
      replica.unlock();
    }
  }

  private void replicateLocked(String jobId, String tag, ProtectedItem item, VirtualMachine vm,
      String cloudVmId, SyncMode mode, String what) throws Exception {
    List<BlockDevice> devices = new ArrayList<>();
    BlockSize blocks = TransferBlocks.of(context.jobs(), jobId, item);
    List<SyncOutcome> outcomes;
    Instant began = context.clock().instant();
    try {
      List<DiskTransfer.Disk> disks = new ArrayList<>();
      boolean tracked = mode == SyncMode.TRACKED;
      for (int i = 0; i < vm.getDisksCount(); i++) {
        BlockDevice device = marked(item.getVmId(), began,
            context.cloud().openDisk(cloudVmId, i, true));
        devices.add(device);
        String reference = tracked ? reference(item, i, blocks.bytes()) : "";
        tracked &= !reference.isEmpty();
        disks.add(new DiskTransfer.Disk(i, vm.getDisks(i).getPath(), device, null, reference));
      }
      if (mode == SyncMode.TRACKED && !tracked) {
        // A disk without a reference point (or one of other blocks): every disk compares
        // checksums instead.
        mode = SyncMode.DELTA;
        disks = disks.stream().map(d -> new DiskTransfer.Disk(d.index(), d.onPremPath(),
            d.cloudDisk(), null, "")).toList();
        String recorded = otherBlocks(item, blocks.bytes());
        if (!recorded.isEmpty()) {
          context.jobs().step(jobId, item.getVmId(), "the host's tracked changes are of "
              + recorded + " blocks, this job's of " + BlockSize.describe(blocks.bytes())
              + ": comparing checksums once");
        }
      }
      // The job knows the VM by its item's id, whichever host the VM now lives on.
      context.jobs().step(jobId, item.getVmId(), what + " started (" + mode + ")");
      checkCancel(context, jobId);
      ProtectionState state = context.items().get(item.getVmId()).getState();
      // Under the replica's lock (replicate): a cycle may write the same journals until then.
      disks = journaled(context.items().get(item.getVmId()), disks, devices);
      // Resumable: a controller that restarts or takes over goes on from the lanes' last
      // durable checkpoints, reading the read point the agent kept for it.
      DiskTransfer.Plan plan = new DiskTransfer.Plan(jobId, item.getVmId(),
          vm.getHostName(), item.getGeneration(), mode, SyncRole.SOURCE, "job-" + jobId + tag,
          digestSetPrefix(item), trackingSeed(item)).resumable("replication")
          .withBlocks(blocks);
      outcomes = atOneMoment(item, vm, plan, disks, context.transfer().run(plan, disks));
      ReplicaProof.check(disks, outcomes);
      record(item.getVmId(), state, outcomes, blocks);
      verified(item.getVmId());
      // A cancel whose sessions had not started yet, or had just ended, stops the job here.
      checkCancel(context, jobId);
      context.jobs().step(jobId, item.getVmId(), what + " verified" + ReplicaProof.record(
          context, jobId, item.getVmId(), what, mode, disks, outcomes));
    } finally {
      for (BlockDevice device : devices) {
        quietly("closing a cloud disk", device::close);
      }
    }
  }

  /**
   * A VM's replica must be its disks at one moment. A pass continued after a controller
   * restart or a takeover can copy a disk from a new read point while another went on from the
   * kept one (which had ended for it meanwhile); then every disk is compared again from one
   * new read point, sending only what differs.
   */
  private List<SyncOutcome> atOneMoment(ProtectedItem item, VirtualMachine vm,
      DiskTransfer.Plan plan, List<DiskTransfer.Disk> disks, List<SyncOutcome> outcomes)
      throws LifecycleException, InterruptedException {
    List<String> moments = readPoints(outcomes);
    if (moments.size() <= 1) {
      return outcomes;
    }
    context.transfer().note(plan, "the disks were copied from " + moments.size()
        + " read points (" + String.join(", ", moments) + "): comparing every disk again from"
        + " one read point, so that the replica is the VM at one moment");
    List<SyncOutcome> again = context.transfer().run(new DiskTransfer.Plan(plan.jobId(),
        item.getVmId(), vm.getHostName(), item.getGeneration(), SyncMode.DELTA,
        SyncRole.SOURCE, plan.sessionPrefix() + "-one", digestSetPrefix(item),
        trackingSeed(item)).withBlocks(plan.blocks()), disks.stream().map(d ->
            new DiskTransfer.Disk(d.index(), d.onPremPath(), d.cloudDisk(), null, "")).toList());
    if (readPoints(again).size() > 1) {
      throw new LifecycleException("the disks of VM " + vm.getName() + " were copied from "
          + "different read points twice (" + String.join(", ", readPoints(again)) + "); the"
          + " replica is not the VM at one moment: run it again");
    }
    return again;
  }

  /** The read points the agent copied the disks from, each once. */
  static List<String> readPoints(List<SyncOutcome> outcomes) {
    return outcomes.stream().map(outcome -> outcome.agent().getReadPoint())
        .filter(id -> !id.isEmpty()).distinct().toList();
  }

  /**
   * A delta cycle for every protected VM, a round per host ({@link CycleRounds}), waiting for
   * the rounds at most {@code atMost}; failures are logged and kept on the item.
   */
  void cycleAll(Duration atMost) {
    rounds.run(atMost);
  }

  /**
   * One delta cycle of a protected VM; the recovery point moves when it succeeds.
   *
   * <p>TRACKED when the last replication left a digest set and a reference point for every
   * disk, DELTA otherwise; a disk whose reference the host no longer knows falls back to DELTA.
   *
   * @return each disk's outcome, in disk order
   */
  List<SyncOutcome> cycle(String vmId) throws LifecycleException, NotFoundException,
      StoreException, InterruptedException {
    ReentrantLock replica = context.replicaLocks().of(vmId);
    replica.lockInterruptibly();
    Instant started = context.clock().instant();
    String error = "stopped before its end"; // interrupted, or an unexpected exception
    try {
      List<SyncOutcome> outcomes = cycleLocked(vmId);
      error = "";
      return outcomes;
    } catch (LifecycleException | NotFoundException | StoreException e) {
      // Never empty: an empty error would read as a cycle that succeeded.
      error = e.getMessage() == null || e.getMessage().isEmpty() ? e.getClass().getSimpleName()
          : e.getMessage();
      throw e;
    } finally {
      replica.unlock();
      tell(vmId, Duration.between(started, context.clock().instant()), error);
    }
  }

  /** Who hears of every cycle's end (the metrics); none can fail a cycle. */
  void addCycleListener(Consumer<CycleEnd> listener) {
    cycleListeners.add(listener);
  }

  private void tell(String vmId, Duration took, String error) {
    CycleEnd end = new CycleEnd(vmId, took, error);
    for (Consumer<CycleEnd> listener : cycleListeners) {
      try {
        listener.accept(end);
      } catch (RuntimeException e) {
        log.warn("cycle listener failed on vm " + vmId + ": " + e);
      }
    }
  }

  private List<SyncOutcome> cycleLocked(String vmId) throws LifecycleException,
      NotFoundException, StoreException, InterruptedException {
    // Read under the lock: a job may have moved the item since the cycle was scheduled.
    ProtectedItem item = context.items().get(vmId);
    if (item.getState() != ProtectionState.PROTECTED) {
      throw new LifecycleException("vm " + vmId + " is " + item.getState()
          + "; delta cycles run only while PROTECTED");
    }
    VirtualMachine vm = context.hosts().vm(FlowSupport.onPremVmId(item));
    ReplicaShape.require(context, item, vm);
    // Unique, not only by time: the cycles of VMs of different hosts run at once, and two in
    // one millisecond (a clock that stands still) took each other's sessions.
    String cycleId = "cycle-" + Long.toHexString(context.clock().millis()) + "-"
        + UUID.randomUUID().toString().substring(0, 8);
    List<SyncOutcome> outcomes;
    Instant started = context.clock().instant();
    List<BlockDevice> devices = new ArrayList<>();
    // The VM's: a cycle asks for none.
    BlockSize blocks = TransferBlocks.of(context.jobs(), "", item);
    try {
      List<DiskTransfer.Disk> disks = new ArrayList<>();
      boolean tracked = true;
      for (int i = 0; i < vm.getDisksCount(); i++) {
        BlockDevice device = marked(vmId, started,
            context.cloud().openDisk(item.getCloudVmId(), i, true));
        devices.add(device);
        try {
          device = journaled(item, i, devices);
        } catch (java.io.IOException e) {
          throw new LifecycleException("cannot keep the replica's undo journal of disk " + i
              + ": " + e.getMessage(), e);
        }
        String reference = reference(item, i, blocks.bytes());
        tracked &= !reference.isEmpty();
        disks.add(new DiskTransfer.Disk(i, vm.getDisks(i).getPath(), device, null, reference));
      }
      // A cycle that fails leaves no tracking behind: the next one compares checksums.
      context.items().recordTracking(vmId, ProtectionState.PROTECTED, List.of());
      SyncMode mode = tracked ? SyncMode.TRACKED : SyncMode.DELTA;
      DiskTransfer.Plan plan = new DiskTransfer.Plan("", vmId, vm.getHostName(),
          item.getGeneration(), mode, SyncRole.SOURCE, cycleId, digestSetPrefix(item),
          trackingSeed(item)).withBlocks(blocks);
      outcomes = atOneMoment(item, vm, plan, disks, context.transfer().run(plan, disks));
      // Not equal: the cycle fails, and (no tracking left) the next one compares checksums.
      ReplicaProof.check(disks, outcomes);
    } catch (CloudException e) {
      throw new LifecycleException("cloud: " + e.getMessage(), e);
    } finally {
      for (BlockDevice device : devices) {
        quietly("closing a cloud disk", device::close);
      }
    }
    record(vmId, ProtectionState.PROTECTED, outcomes, blocks);
    verified(vmId);
    context.items().recordRecoveryPoint(vmId, started);
    CloudBootCheck.recheck(context, item, vm);
    return outcomes;
  }

  /**
   * The replica verified: its journals go first, then the item's mark. A crash between the two
   * leaves a mark without journals (an unplanned failover then warns where it need not); the
   * other order would leave journals a later pass could take for its own.
   */
  private void verified(String vmId) throws NotFoundException, StoreException {
    try {
      ReplicaUndo.of(context).discard(vmId);
    } catch (java.io.IOException e) {
      log.warn("vm " + vmId + ": cannot delete the replica's undo journals: " + e.getMessage());
      return; // the mark stays: a pass with journals it cannot delete is not over
    }
    context.items().replicaVerified(vmId);
  }

  /** {@code disks} with their replica disks journaled where {@link #journals} says so. */
  private List<DiskTransfer.Disk> journaled(ProtectedItem item, List<DiskTransfer.Disk> disks,
      List<BlockDevice> devices) throws java.io.IOException {
    List<DiskTransfer.Disk> journaled = new ArrayList<>();
    for (DiskTransfer.Disk d : disks) {
      journaled.add(new DiskTransfer.Disk(d.index(), d.onPremPath(),
          journaled(item, d.index(), devices), d.changed(), d.changeReference()));
    }
    return journaled;
  }

  /**
   * Disk {@code index} of the replica as {@code devices} holds it, with its overwrites kept in
   * its undo journal while the replica holds a recovery point (the device in {@code devices} is
   * replaced, so closing it closes the journal); journals no unfinished pass left are stale and
   * deleted first. Not journaled either where an unfinished pass left none (another
   * controller's state folder, one lost): journals begun now would keep that pass's bytes as the
   * old ones, and an undo would claim a recovery point it cannot give. Called under the
   * replica's lock.
   */
  private BlockDevice journaled(ProtectedItem item, int index, List<BlockDevice> devices)
      throws java.io.IOException {
    BlockDevice replica = devices.get(index);
    if (!item.hasLastRecoveryPoint() || item.getState() != ProtectionState.PROTECTED
        && item.getState() != ProtectionState.FAILING_OVER) {
      return replica;
    }
    ReplicaUndo undo = ReplicaUndo.of(context);
    if (!item.hasReplicaWrittenSince()) {
      if (index == 0) {
        undo.discard(item.getVmId());
      }
    } else if (!undo.kept(item.getVmId())) {
      return replica;
    }
    BlockDevice journaled = undo.journaled(item.getVmId(), index, replica,
        context.clock().millis());
    devices.set(index, journaled);
    return journaled;
  }

  /**
   * {@code replica}, recording on the item before its first write that a pass writes it, and
   * whether undo journals keep what it overwrites: a journaled disk is wrapped around this one,
   * so its journal exists by the first write that reaches here, and it is the journals an
   * unplanned failover would undo with ({@link ReplicaUndo#kept}).
   */
  private BlockDevice marked(String vmId, Instant began, BlockDevice replica) {
    return new BeforeWrites(replica, BeforeWrites.once(() -> {
      try {
        context.items().replicaWriting(vmId, began, ReplicaUndo.of(context).kept(vmId));
      } catch (NotFoundException | StoreException e) {
        throw new java.io.IOException("cannot record that the replica is being written: "
            + e.getMessage(), e);
      }
    }));
  }

  /** The digest sets of the item's disks, named the same in every replication of the item. */
  static String digestSetPrefix(ProtectedItem item) {
    // A name-based UUID keeps any VM id within the digest set name's alphabet.
    return "rep-" + UUID.nameUUIDFromBytes(item.getVmId().getBytes(StandardCharsets.UTF_8));
  }

  /** One seed per item, as a TRACKED session needs the seed its digest set was recorded with. */
  long trackingSeed(ProtectedItem item) {
    return context.seed(digestSetPrefix(item));
  }

  /**
   * The reference point the last replication left for disk {@code index}, or empty; empty too
   * when its digest set is of blocks other than {@code blockSize} bytes.
   */
  static String reference(ProtectedItem item, int index, int blockSize) {
    String digestSet = digestSetPrefix(item) + "-d" + index;
    for (DiskTracking tracking : item.getDiskTrackingList()) {
      if (tracking.getDiskIndex() == index && tracking.getDigestSet().equals(digestSet)
          && BlockSize.fromStored(tracking.getBlockSize()) == blockSize) {
        return tracking.getChangeReference();
      }
    }
    return "";
  }

  /** "64 KiB" when the item's tracking is of blocks other than {@code blockSize}; else "". */
  private static String otherBlocks(ProtectedItem item, int blockSize) {
    return item.getDiskTrackingList().stream().map(t -> BlockSize.fromStored(t.getBlockSize()))
        .filter(size -> size != blockSize).findFirst().map(BlockSize::describe).orElse("");
  }

  /**
   * Remembers each disk's digest set and the reference point its agent created, and the
   * transfers' block size as the VM's.
   */
  void record(String vmId, ProtectionState state, List<SyncOutcome> outcomes, BlockSize blocks)
      throws NotFoundException, StoreException {
    ProtectedItem item = context.items().get(vmId);
    List<DiskTracking> tracking = new ArrayList<>();
    for (int i = 0; i < outcomes.size(); i++) {
      String reference = outcomes.get(i).agent().getChangeReference();
      if (!reference.isEmpty()) {
        tracking.add(DiskTracking.newBuilder().setDiskIndex(i)
            .setDigestSet(digestSetPrefix(item) + "-d" + i).setChangeReference(reference)
            .setBlockSize(BlockSize.stored(blocks.bytes())).build());
      }
    }
    context.items().recordTracking(vmId, state, tracking,
        OptionalInt.of(BlockSize.stored(blocks.bytes())));
  }
}
