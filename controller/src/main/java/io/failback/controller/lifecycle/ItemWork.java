package io.failback.controller.lifecycle;

import io.failback.controller.tuning.BlockSize;
import io.failback.proto.v1.ProtectedItem;
import io.failback.proto.v1.VirtualMachine;
import java.util.List;

/** What every VM's work of a job holds: its item, the VM as its host reports it, the job. */
abstract class ItemWork implements VmWork {
  final LifecycleContext context;
  final ProtectedItem item;
  /** The VM as its host reports it; null when the action needs no host (unplanned, commit). */
  final VirtualMachine vm;
  /** Tells this VM's sessions and digest sets apart from the other VMs of the job. */
  final String tag;
  String jobId;
  /**
   * Set right after the step that cannot be undone (a VM started, a cloud VM deleted): from
   * there a failure of the bookkeeping must not undo the VM's work, or two copies would run.
   */
  volatile boolean pastNoReturn;
  /** When the source VM began to stop: {@link #sourceStoppingSince}. */
  volatile java.time.Instant sourceStopping;

  ItemWork(LifecycleContext context, ProtectedItem item, VirtualMachine vm, String tag) {
    this.context = context;
    this.item = item;
    this.vm = vm;
    this.tag = tag;
  }

  @Override
  public final String vmId() {
    return item.getVmId();
  }

  @Override
  public String host() {
    return item.getOnPremHost();
  }

  @Override
  public final String vmName() {
    return vm != null ? vm.getName() : item.getVmName();
  }

  @Override
  public java.time.Instant sourceStoppingSince() {
    return sourceStopping;
  }

  @Override
  public List<String> diskPaths() {
    return vm == null ? List.of() : FlowSupport.diskPaths(vm);
  }

  /** What {@link #abandon} answers once past the point of no return: nothing is undone. */
  final String keptAfterNoReturn() {
    return "its work was done and is kept (only the bookkeeping after it failed)";
  }

  private volatile BlockSize blocks;

  /** The block size of this VM's transfers in the job ({@link TransferBlocks}), once known. */
  final BlockSize blocks() {
    BlockSize known = blocks;
    if (known == null || jobId == null) {
      known = TransferBlocks.of(context.jobs(), jobId == null ? "" : jobId, item);
      blocks = jobId == null ? null : known;
    }
    return known;
  }

  /** Fixes this VM's block size in the job, chosen once its work began (FailbackBlocks). */
  final void keepBlocks(BlockSize chosen) {
    blocks = chosen;
  }

  /** Records a step of this VM on the job's timeline. */
  final void step(String description) throws Exception {
    context.jobs().step(jobId, vmId(), description);
  }
}
