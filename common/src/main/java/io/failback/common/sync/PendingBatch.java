package io.failback.common.sync;

import io.failback.proto.v1.BlockPayload;
import io.failback.proto.v1.ZeroRange;
import java.util.Arrays;
import java.util.BitSet;

/**
 * A batch the target is applying: which blocks it asked for (delta) or must cover (full), and
 * the digest each block must end up with.
 */
final class PendingBatch {
  final long first;
  final int count;
  private final LaneContext lane;
  private final BlockApplier applier;
  private final byte[] digests;
  private final BitSet expected = new BitSet();
  private final BitSet received = new BitSet();
  /** The received blocks that were written: all of them, unless {@code staged} left some. */
  private final BitSet written = new BitSet();
  private final boolean fullMode;
  /** FULL batches into a disk that preserves overwrites: writes only what differs. */
  private StagedWrites staged;
  /** Whether blocks may be missing at the batch end (TRACKED). */
  private boolean optional;

  PendingBatch(LaneContext lane, BlockApplier applier, long first, int count,
      byte[] sourceDigests) {
    this(lane, applier, first, count, sourceDigests, false);
  }

  private PendingBatch(LaneContext lane, BlockApplier applier, long first, int count,
      byte[] sourceDigests, boolean fullMode) {
    this.fullMode = fullMode;
    this.lane = lane;
    this.applier = applier;
    this.first = first;
    this.count = count;
    this.digests = sourceDigests;
  }

  /**
   * A TRACKED batch: any block may arrive, none must; the others keep the digests recorded by
   * the session that wrote the digest set.
   */
  static PendingBatch tracked(LaneContext lane, BlockApplier applier, long first, int count,
      byte[] recorded) {
    PendingBatch batch = new PendingBatch(lane, applier, first, count, recorded, true);
    batch.expected.set(0, count);
    batch.optional = true;
    return batch;
  }

  /**
   * A FULL-mode batch: every block must arrive, as bytes or as part of a zero range.
   *
   * @param staged where blocks go when the disk preserves overwrites (only those that differ
   *     are written), or null to write every block as it comes
   */
  static PendingBatch full(LaneContext lane, BlockApplier applier, long first, int count,
      StagedWrites staged) {
    PendingBatch batch = new PendingBatch(lane, applier, first, count,
        new byte[count * lane.digestLength()], true);
    batch.expected.set(0, count);
    batch.staged = staged;
    return batch;
  }

  void want(int i) {
    expected.set(i);
  }

  long end() {
    return first + count;
  }

  void accept(BlockPayload block) throws SyncException, InterruptedException {
    int i = claim(block.getBlockIndex(), 1);
    byte[] digest;
    if (staged == null) {
      digest = applier.writeBlock(block, expectedDigest(i));
      written.set(i);
    } else {
      BlockApplier.Checked checked = applier.check(block, expectedDigest(i));
      digest = checked.digest();
      written.set(i, staged.stage(block.getBlockIndex(), checked));
    }
    System.arraycopy(digest, 0, digests, i * digest.length, digest.length);
    received.set(i);
  }

  void accept(ZeroRange zeros) throws SyncException, InterruptedException {
    int from = claim(zeros.getFirstBlock(), zeros.getBlockCount());
    for (int i = from; i < from + zeros.getBlockCount(); i++) {
      byte[] zero = lane.digester.zeroBlockDigest(lane.geometry.blockLength(first + i));
      byte[] wanted = expectedDigest(i);
      if (wanted != null && !Arrays.equals(wanted, zero)) {
        throw SyncException.invalid("%s: block %d sent as zeros but its digest is not that of"
            + " a zero block", lane.describe(), first + i);
      }
    }
    if (staged == null) {
      applier.writeZeros(zeros.getFirstBlock(), zeros.getBlockCount());
      written.set(from, from + zeros.getBlockCount());
    } else {
      for (int i = from; i < from + zeros.getBlockCount(); i++) {
        written.set(i, staged.stageZeros(first + i));
      }
    }
    for (int i = from; i < from + zeros.getBlockCount(); i++) {
      byte[] zero = lane.digester.zeroBlockDigest(lane.geometry.blockLength(first + i));
      System.arraycopy(zero, 0, digests, i * zero.length, zero.length);
      received.set(i);
    }
  }

  /** Checks the blocks are expected and not yet received; returns the batch-relative index. */
  private int claim(long block, long n) throws SyncException {
    int from = (int) (block - first);
    for (int i = from; i < from + n; i++) {
      if (!expected.get(i) || received.get(i)) {
        throw SyncException.invalid("%s: block %d was %s", lane.describe(), first + i,
            received.get(i) ? "already received" : "not asked for");
      }
    }
    return from;
  }

  /** The source's digest of block i in delta mode; null in full mode (it comes with the block). */
  private byte[] expectedDigest(int i) {
    return fullMode ? null : Digests.at(digests, i, lane.digestLength());
  }

  void checkComplete() throws SyncException {
    if (optional) {
      return;
    }
    BitSet missing = (BitSet) expected.clone();
    missing.andNot(received);
    if (!missing.isEmpty()) {
      throw SyncException.invalid("%s: batch %s ended with %d blocks missing, first %d",
          lane.describe(), describe(), missing.cardinality(), first + missing.nextSetBit(0));
    }
  }

  /**
   * The batch-relative indexes of the blocks written (as bytes or zeros); a block a staged
   * batch found on the disk already is not among them (its comparison read it back).
   */
  BitSet written() {
    return written;
  }

  /** The final digests of the batch's blocks, concatenated. */
  byte[] packedDigests() {
    return digests;
  }

  /** The final digests of the batch's blocks, in order. */
  byte[][] digests() {
    return Digests.split(digests, count, lane.digestLength());
  }

  String describe() {
    return "[" + first + ", +" + count + ")";
  }
}
