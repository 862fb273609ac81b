package io.failback.controller.lifecycle;

import io.failback.controller.tuning.BlockSize;
import io.failback.controller.tuning.BlockSizePolicy;
import io.failback.proto.v1.ProtectedItem;

/**
 * The block size of a failback with sync before failover: a phase 1 that compares every
 * block's checksum records digest sets, so it may change the VM's blocks at no extra pass.
 * Where the job asked for none and the VM has the default, {@link BlockSizePolicy} chooses from
 * the link to the host; over a slow one, phase 2 (the downtime) then sends the 16 KiB blocks
 * the cloud guest wrote, not the 64 KiB ones around them, and so does the reverse replication
 * after. Chosen even where the failover's 64 KiB baseline would have made phase 1 a tracked
 * pass: the checksum pass costs phase 1 a read of both sides' disks and the digests on the
 * link, not downtime. The item keeps the choice before phase 1, so a job a restarted
 * controller continues has the blocks its digest sets were recorded in.
 */
final class FailbackBlocks {
  private FailbackBlocks() {}

  /** The VM's blocks in failback job {@code jobId} to {@code host}, chosen and kept first. */
  static BlockSize choose(LifecycleContext context, String jobId, String vmId, String host)
      throws Exception {
    ProtectedItem current = context.items().get(vmId);
    if (TransferBlocks.asked(context.jobs(), jobId).isPresent() || current.getBlockSize() != 0) {
      return TransferBlocks.of(context.jobs(), jobId, current);
    }
    BlockSize slow = context.transfer().failbackBlocks(host, jobId);
    if (slow.bytes() == BlockSize.DEFAULT) {
      return TransferBlocks.of(context.jobs(), jobId, current);
    }
    ProtectedItem kept = context.items().chooseFailbackBlockSize(vmId,
        BlockSize.stored(slow.bytes()));
    // Said only where kept: a job that raced with a move out of FAILING_BACK keeps the VM's.
    if (kept.getBlockSize() == BlockSize.stored(slow.bytes())) {
      context.jobs().step(jobId, vmId, "blocks of " + BlockSize.describe(slow.bytes()) + " "
          + slow.because() + "; the VM keeps them");
    }
    return TransferBlocks.of(context.jobs(), jobId, kept);
  }
}
