package io.failback.controller.lifecycle;

import io.failback.controller.tuning.BlockSize;
import io.failback.controller.tuning.BlockSizePolicy;
import io.failback.proto.v1.ProtectedItem;
import io.failback.proto.v1.ProtectionState;

/**
 * The block size of a VM's first copy (a protection's initial replication) where its job asked
 * for none: {@link BlockSizePolicy} chooses from the host's link, and the item keeps the choice
 * before anything is sent, so that a copy continued after a restart has the blocks its
 * checkpoints were made with. A size a job asked for earlier stays the VM's; so does anything
 * once the VM has tracked changes, which are of its blocks.
 */
final class FirstCopyBlocks {
  private FirstCopyBlocks() {}

  /** The item as its first copy should see it: with the chosen size kept, where one was. */
  static ProtectedItem choose(LifecycleContext context, String jobId, ProtectedItem item,
      String host) throws Exception {
    boolean asked = TransferBlocks.asked(context.jobs(), jobId).isPresent();
    boolean askedBefore = item.getBlockSize() != 0 && !item.getBlockSizeChosen();
    if (asked || askedBefore || item.getDiskTrackingCount() > 0) {
      return item;
    }
    BlockSize blocks = context.transfer().firstCopyBlocks(host, jobId);
    ProtectedItem kept = context.items().chooseBlockSize(item.getVmId(),
        ProtectionState.INITIAL_REPLICATION, BlockSize.stored(blocks.bytes()));
    // Said only where kept: a copy that raced with a move out of its state keeps the VM's.
    if (blocks.bytes() != BlockSize.DEFAULT
        && kept.getBlockSize() == BlockSize.stored(blocks.bytes())) {
      context.jobs().step(jobId, item.getVmId(), "blocks of " + BlockSize.describe(
          blocks.bytes()) + " " + blocks.because() + "; the VM keeps them");
    }
    return kept;
  }
}
