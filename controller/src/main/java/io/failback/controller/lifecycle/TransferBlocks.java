package io.failback.controller.lifecycle;

import io.failback.controller.tuning.BlockSize;
import io.failback.proto.v1.ProtectedItem;
import java.util.OptionalInt;

/**
 * The block size of a job's transfers of a VM: the one the job asked for, else the VM's (what
 * an earlier job asked for or the controller chose for its first copy, kept on its item), else
 * the default. A replication cycle has no job and keeps the VM's.
 */
final class TransferBlocks {
  private TransferBlocks() {}

  /** @param jobId empty for a replication cycle */
  static BlockSize of(Jobs jobs, String jobId, ProtectedItem item) {
    return BlockSize.choose(asked(jobs, jobId), item.getBlockSize(), item.getBlockSizeChosen());
  }

  /** The block size job {@code jobId} asked for; none for a cycle or a job that asked none. */
  static OptionalInt asked(Jobs jobs, String jobId) {
    return TransferTuner.asked(jobId, TransferTuner.resume(jobs, jobId)).blockSize();
  }
}
