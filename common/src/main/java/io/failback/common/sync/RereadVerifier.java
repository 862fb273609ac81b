package io.failback.common.sync;

import io.failback.common.hash.DiskDigest;
import io.failback.common.hash.LaneDigest;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Re-reads a finished lane from the target disk and rebuilds its digest chain, catching what
 * the write path got wrong (a block written to the wrong place, a lost write).
 */
final class RereadVerifier {
  private final LaneContext lane;
  private final ByteBuffer chunk;

  RereadVerifier(LaneContext lane, ByteBuffer chunk) {
    this.lane = lane;
    this.chunk = chunk;
  }

  /** Returns null when the re-read chain equals {@code expected}, else what differs. */
  String verify(byte[] expected) throws SyncException {
    LaneDigest chain = new LaneDigest(lane.algorithm, lane.geometry.blockSize(), lane.first);
    for (long first = lane.first; first < lane.end; ) {
      int count = lane.geometry.batchLength(lane.lane, first);
      byte[][] digests = new byte[count][];
      for (int done = 0; done < count; ) {
        int n = Math.min(lane.chunkBlocks(), count - done);
        lane.readBlocksBack(first + done, n, chunk);
        for (int i = 0; i < n; i++) {
          digests[done + i] = lane.digester.digest(chunk.array(),
              i * lane.geometry.blockSize(), lane.geometry.blockLength(first + done + i));
        }
        done += n;
      }
      chain.addBatch(first, digests);
      first += count;
    }
    return Arrays.equals(chain.chain(), expected) ? null
        : lane.describe() + ": re-read digest chain " + DiskDigest.hex(chain.chain())
            + " differs from the synced chain " + DiskDigest.hex(expected);
  }
}
