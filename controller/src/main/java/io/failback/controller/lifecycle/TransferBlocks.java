package io.failback.controller.lifecycle;

import io.failback.controller.store.StoreException;
import io.failback.controller.tuning.BlockSize;
import io.failback.controller.tuning.TransferRequest;
import io.failback.proto.v1.ProtectedItem;
import java.util.OptionalInt;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The block size of a job's transfers of a VM: the one the job asked for, else the VM's (what
 * an earlier job asked for, kept on its item), else the default. A replication cycle has no
 * job and keeps the VM's.
 */
final class TransferBlocks {
  private static final Logger log = LoggerFactory.getLogger(TransferBlocks.class);

  private TransferBlocks() {}

  /** @param jobId empty for a replication cycle */
  static BlockSize of(Jobs jobs, String jobId, ProtectedItem item) {
    OptionalInt asked = OptionalInt.empty();
    if (!jobId.isEmpty()) {
      try {
        asked = TransferRequest.of(jobs.get(jobId).getResume().getTransfer()).blockSize();
      } catch (NotFoundException | StoreException | IllegalArgumentException e) {
        // Checked when the job was asked for; a record that no longer reads keeps the VM's.
        log.warn("job {}: its block size is unreadable ({}); the VM's is used", jobId,
            e.getMessage());
      }
    }
    return BlockSize.choose(asked, item.getBlockSize());
  }
}
