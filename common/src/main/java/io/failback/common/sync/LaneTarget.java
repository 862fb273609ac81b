package io.failback.common.sync;

import com.google.protobuf.ByteString;
import io.failback.common.hash.DiskDigest;
import io.failback.common.hash.LaneDigest;
import io.failback.proto.v1.BatchAck;
import io.failback.proto.v1.BatchEnd;
import io.failback.proto.v1.ChecksumBatch;
import io.failback.proto.v1.LaneCheckpoint;
import io.failback.proto.v1.LaneVerified;
import io.failback.proto.v1.SyncFrame;
import io.failback.proto.v1.SyncMode;
import io.failback.proto.v1.WantedBlocks;
import io.failback.proto.v1.ZeroRange;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Deque;
import java.util.function.Consumer;

/**
 * The target end of one lane: compares its own blocks with the source's digests, applies the
 * blocks it gets after checking each against its digest, and acknowledges a batch only once
 * it is on stable storage.
 *
 * <p>Every frame is validated (order, range, length, digest after decoding) before any byte
 * reaches the disk, so a hostile or broken peer changes nothing.
 */
final class LaneTarget {
  private final LaneContext lane;
  private final FrameLink link;
  private final boolean delta;
  private final boolean tracked;
  private final BlockApplier applier;
  /** FULL into a disk that preserves overwrites: only blocks that differ are written. */
  private final StagedWrites staged;
  private final Consumer<LaneCheckpoint> durable;
  private final ByteBuffer chunk;
  private final Deque<PendingBatch> pending = new ArrayDeque<>();
  private final OrderedFlushes flushes;
  /** What this session wrote, to read back at the lane end; null unless reread_written. */
  private final WrittenBlocks written;
  /** A verify pass: the scan of this disk is the proof of its end state, read from storage. */
  private final boolean reverify;
  private LaneDigest chain;
  private long nextChecksums;
  private long watermark;
  /** FULL: where the zero range of whole batches applied last begins, until its batch end. */
  private long zeroRunFirst = -1;
  /** Blocks of that range the disk held already (left unwritten). */
  private int zeroRunHeld;

  LaneTarget(LaneContext lane, FrameLink link, Consumer<LaneCheckpoint> durable) {
    this.lane = lane;
    this.link = link;
    this.delta = lane.geometry.parameters().getMode() == SyncMode.DELTA;
    this.tracked = lane.geometry.parameters().getMode() == SyncMode.TRACKED;
    this.applier = new BlockApplier(lane);
    this.staged = !delta && !tracked && lane.device.preservesOverwrites()
        ? new StagedWrites(lane, applier) : null;
    this.durable = durable;
    this.chunk = ByteBuffer.allocate(lane.chunkBlocks() * lane.geometry.blockSize());
    // Per lane, not per attempt: what an attempt before a resume wrote is read back too.
    this.written = lane.geometry.parameters().getRereadWritten() ? lane.written() : null;
    this.reverify = lane.geometry.parameters().getSourceDigestsRecorded();
    this.flushes = new OrderedFlushes("lane-" + lane.lane + "-flush",
        lane.geometry.parameters().getWindowBatches());
  }

  /** Runs the lane from {@code start} until the source's lane end is verified. */
  byte[] run(LaneCheckpoint start) throws SyncException, LinkException, InterruptedException {
    try {
      return receive(start);
    } finally {
      flushes.close();
      applier.close();
    }
  }

  private byte[] receive(LaneCheckpoint start)
      throws SyncException, LinkException, InterruptedException {
    chain = lane.chainFrom(start);
    watermark = start.getWatermarkBlock();
    nextChecksums = watermark;
    long began = System.nanoTime();
    // Added up here and told once: the activity is shared by every lane of the transfer.
    long waited = 0;
    while (true) {
      long waiting = System.nanoTime();
      SyncFrame frame = lane.receive(link);
      waited += System.nanoTime() - waiting;
      switch (frame.getKindCase()) {
        case CHECKSUMS -> compare(frame.getChecksums());
        case BLOCK -> batchFor(frame.getBlock().getBlockIndex(), 1).accept(frame.getBlock());
        case ZEROS -> zeros(frame.getZeros());
        case BATCH_END -> complete(frame.getBatchEnd());
        case LANE_END -> {
          // Until the source's last frame: the verify after it is no part of the transfer.
          lane.progress.activity().targetLane(System.nanoTime() - began, waited);
          return verify(frame.getLaneEnd().getChain().toByteArray());
        }
        default -> throw SyncException.precondition("%s: a target does not expect %s",
            lane.describe(), frame.getKindCase());
      }
    }
  }

  /** Hashes its own copy of the batch and asks for the blocks that differ. */
  private void compare(ChecksumBatch batch)
      throws SyncException, LinkException, InterruptedException {
    if (!delta) {
      throw SyncException.precondition("%s: checksums in a FULL session", lane.describe());
    }
    if (zeroRunFirst >= 0) {
      throw SyncException.invalid("%s: checksums before the batch end of the zero range"
          + " [%d, %d)", lane.describe(), zeroRunFirst, watermark);
    }
    long first = batch.getFirstBlock();
    int count = batch.getBlockCount();
    if (first != nextChecksums || first >= lane.end
        || count != lane.geometry.batchLength(lane.lane, first)) {
      throw SyncException.invalid("%s: checksum batch [%d, +%d) is not the next batch [%d, +%d)",
          lane.describe(), first, count, nextChecksums,
          nextChecksums < lane.end ? lane.geometry.batchLength(lane.lane, nextChecksums) : 0);
    }
    if (batch.getDigests().size() != count * lane.digestLength()) {
      throw SyncException.invalid("%s: checksum batch at %d carries %d digest bytes, expected %d",
          lane.describe(), first, batch.getDigests().size(), count * lane.digestLength());
    }
    // Each batch waiting for its blocks holds its digests here: a source that does not end
    // its batches must not make this side hold a whole disk's worth of them.
    if (pending.size() >= lane.geometry.parameters().getWindowBatches()) {
      throw SyncException.invalid("%s: checksum batch at %d while %d batches await their end:"
          + " the window is %d", lane.describe(), first, pending.size(),
          lane.geometry.parameters().getWindowBatches());
    }
    byte[] bitmap = new byte[(count + 7) / 8];
    PendingBatch pendingBatch = scan(first, count, batch.getDigests().toByteArray(), bitmap);
    lane.announceOverwrite(first, count, bitmap);
    pending.add(pendingBatch);
    nextChecksums = first + count;
    lane.send(link, SyncFrame.newBuilder().setWants(WantedBlocks.newBuilder()
        .setFirstBlock(first).setBlockCount(count).setBitmap(ByteString.copyFrom(bitmap)))
        .build());
  }

  /**
   * Hashes its own copy of {@code [first, +count)}: the batch to apply, wanting the blocks
   * whose digest differs from the source's ({@code source}), which are also set in
   * {@code bitmap}.
   */
  private PendingBatch scan(long first, int count, byte[] source, byte[] bitmap)
      throws SyncException {
    PendingBatch pendingBatch = new PendingBatch(lane, applier, first, count, source);
    for (int done = 0; done < count; ) {
      int n = Math.min(lane.chunkBlocks(), count - done);
      long from = first + done;
      boolean zero = lane.knownZero(from, n);
      if (!zero && reverify) {
        lane.readBlocksBack(from, n, chunk);
      } else if (!zero) {
        lane.readBlocks(from, n, chunk);
      }
      for (int i = 0; i < n; i++) {
        int length = lane.geometry.blockLength(from + i);
        byte[] own = zero ? lane.digester.zeroBlockDigest(length)
            : lane.digester.digest(chunk.array(), i * lane.geometry.blockSize(), length);
        if (Digests.equalAt(source, done + i, own)) {
          lane.progress.blocksEqual.incrementAndGet();
        } else {
          bitmap[(done + i) >> 3] |= (byte) (1 << ((done + i) & 7));
          pendingBatch.want(done + i);
        }
      }
      lane.progress.blocksScanned.addAndGet(n);
      done += n;
    }
    return pendingBatch;
  }

  /**
   * A zero range within the batch being applied, or in a FULL or DELTA session with
   * batches_per_end, whole batches from the watermark ({@link BatchRun}): applied now,
   * acknowledged at the batch end that must follow it.
   */
  private void zeros(ZeroRange zeros) throws SyncException, InterruptedException {
    long count = Integer.toUnsignedLong(zeros.getBlockCount());
    if (!tracked && isRunFromWatermark(zeros.getFirstBlock(), count)) {
      BatchRun.checkWholeBatches(lane, "zero range", watermark, count);
      long end = watermark + count;
      zeroRunFirst = watermark;
      while (watermark < end) {
        zeroRunHeld += delta ? zeroWhatDiffers() : zeroAll();
      }
      nextChecksums = end;
      return;
    }
    batchFor(zeros.getFirstBlock(), count).accept(zeros);
  }

  /** FULL: zeroes the batch at the watermark; returns how many blocks the disk held already. */
  private int zeroAll() throws SyncException, InterruptedException {
    PendingBatch batch = open();
    batch.accept(ZeroRange.newBuilder().setFirstBlock(batch.first).setBlockCount(batch.count)
        .build());
    return finish(batch);
  }

  /**
   * DELTA: zeroes the blocks of the batch at the watermark that are not zeros here, as if the
   * source had sent zero digests and the blocks it wanted; returns how many it left unwritten.
   * One batch at a time, so a run costs no more memory than a batch.
   */
  private int zeroWhatDiffers() throws SyncException, InterruptedException {
    int length = lane.geometry.batchLength(lane.lane, watermark);
    byte[] bitmap = new byte[(length + 7) / 8];
    PendingBatch batch = scan(watermark, length, BatchRun.zeroDigests(lane, watermark, length),
        bitmap);
    lane.announceOverwrite(watermark, length, bitmap);
    pending.add(batch);
    BitSet wanted = BitSet.valueOf(bitmap);
    for (int i = wanted.nextSetBit(0); i >= 0; i = wanted.nextSetBit(i)) {
      int end = wanted.nextClearBit(i);
      batch.accept(ZeroRange.newBuilder().setFirstBlock(batch.first + i).setBlockCount(end - i)
          .build());
      i = end;
    }
    finish(batch);
    return length - wanted.cardinality();
  }

  /** Whether {@code [first, +count)} is more than the batch at the watermark, none open. */
  private boolean isRunFromWatermark(long first, long count) {
    return pending.isEmpty() && zeroRunFirst < 0 && first == watermark && watermark < lane.end
        && count > lane.geometry.batchLength(lane.lane, watermark);
  }

  /** The batch that may receive blocks {@code [first, first + count)} now. */
  private PendingBatch batchFor(long first, long count) throws SyncException {
    if (zeroRunFirst >= 0) {
      throw SyncException.invalid("%s: blocks [%d, +%d) before the batch end of the zero range"
          + " [%d, %d)", lane.describe(), first, count, zeroRunFirst, watermark);
    }
    if (!delta && pending.isEmpty() && watermark < lane.end) {
      // FULL and TRACKED sessions have no checksum batches: a batch opens with its first frame.
      open();
    }
    PendingBatch oldest = pending.peekFirst();
    // Compared as first > end - count: first + count wraps past Long.MAX_VALUE for a first
    // block near 2^63, and the wrapped end would pass.
    if (oldest == null || count < 1 || first < oldest.first || first > oldest.end() - count) {
      throw SyncException.invalid("%s: blocks [%d, +%d) are outside the batch being applied %s",
          lane.describe(), first, count, oldest == null ? "(none)" : oldest.describe());
    }
    return oldest;
  }

  /** Opens the FULL or TRACKED batch at the watermark. */
  private PendingBatch open() throws SyncException {
    int length = lane.geometry.batchLength(lane.lane, watermark);
    if (!tracked && staged == null) {
      // A FULL batch overwrites every block of it.
      byte[] all = new byte[(length + 7) / 8];
      Arrays.fill(all, (byte) 0xff);
      lane.announceOverwrite(watermark, length, all);
    }
    PendingBatch batch = tracked
        ? PendingBatch.tracked(lane, applier, watermark, length, lane.recorded(watermark, length))
        : PendingBatch.full(lane, applier, watermark, length, staged);
    pending.add(batch);
    return batch;
  }

  /** Makes the batch durable, then acknowledges it with the digest chain. */
  private void complete(BatchEnd end) throws SyncException, LinkException, InterruptedException {
    long count = Integer.toUnsignedLong(end.getBlockCount());
    if (Long.compareUnsigned(end.getSourceBlocksScanned(), SyncProgress.MAX_BLOCKS) > 0
        || Long.compareUnsigned(end.getSourceBlocksEqual(), SyncProgress.MAX_BLOCKS) > 0
        || Long.compareUnsigned(end.getSourceBytesRead(), SyncProgress.MAX_BYTES) > 0) {
      throw SyncException.invalid("%s: batch end says the source scanned %s, found %s blocks"
          + " equal and read %s bytes; at most 2^40 blocks and 2^50 bytes", lane.describe(),
          Long.toUnsignedString(end.getSourceBlocksScanned()),
          Long.toUnsignedString(end.getSourceBlocksEqual()),
          Long.toUnsignedString(end.getSourceBytesRead()));
    }
    lane.progress.sourceSaid(end.getSourceBlocksScanned(), end.getSourceBlocksEqual(),
        end.getSourceBytesRead());
    if (zeroRunFirst >= 0) {
      if (end.getFirstBlock() != zeroRunFirst || end.getFirstBlock() + count != watermark) {
        throw SyncException.invalid("%s: batch end [%d, +%d) does not close the zero range"
            + " [%d, %d)", lane.describe(), end.getFirstBlock(), count, zeroRunFirst, watermark);
      }
      int held = zeroRunHeld;
      zeroRunFirst = -1;
      zeroRunHeld = 0;
      acknowledge(held);
      return;
    }
    if (tracked && isRunFromWatermark(end.getFirstBlock(), count)) {
      // Whole batches that got no block: they keep the digests both digest sets recorded.
      BatchRun.checkWholeBatches(lane, "batch end", watermark, count);
      BatchRun.foldRecorded(lane, chain, watermark, watermark + count);
      watermark += count;
      acknowledge(0);
      return;
    }
    PendingBatch batch = batchFor(end.getFirstBlock(), Math.max(1, count));
    if (end.getFirstBlock() != batch.first || count != batch.count) {
      throw SyncException.invalid("%s: batch end [%d, +%d) does not match %s", lane.describe(),
          end.getFirstBlock(), count, batch.describe());
    }
    acknowledge(finish(batch));
  }

  /**
   * Takes the complete batch off the pending ones into the digest set, the chain and the
   * watermark; returns how many of its blocks the disk held already (left unwritten).
   */
  private int finish(PendingBatch batch) throws SyncException, InterruptedException {
    batch.checkComplete();
    if (staged != null) {
      staged.flush();
    }
    pending.removeFirst();
    lane.record(batch.first, batch.count, batch.packedDigests());
    chain.addBatch(batch.first, batch.digests());
    if (written != null) {
      written.add(batch.first, batch.written(), batch.packedDigests());
    }
    watermark = batch.end();
    return staged == null ? 0 : batch.count - batch.written().cardinality();
  }

  /** Acknowledges everything below the watermark once the writes before it are durable. */
  private void acknowledge(int held)
      throws SyncException, LinkException, InterruptedException {
    LaneCheckpoint checkpoint = LaneCheckpoint.newBuilder().setLane(lane.lane)
        .setWatermarkBlock(watermark).setChain(ByteString.copyFrom(chain.chain())).build();
    // The flush runs beside the next batch's writes; the acknowledgement waits for it.
    long ticket = applier.ticket();
    flushes.submit(() -> {
      applier.awaitDurable(ticket);
      lane.flushRecorded();
      durable.accept(checkpoint);
      lane.progress.settle(lane.lane, lane.first, checkpoint.getWatermarkBlock());
      lane.send(link, SyncFrame.newBuilder().setAck(BatchAck.newBuilder()
          .setWatermarkBlock(checkpoint.getWatermarkBlock()).setChain(checkpoint.getChain())
          .setBlocksHeld(held)).build());
    });
  }

  private byte[] verify(byte[] sourceChain)
      throws SyncException, LinkException, InterruptedException {
    flushes.awaitAll();
    String error = null;
    if (zeroRunFirst >= 0) {
      error = lane.describe() + ": lane end before the batch end of the zero range ["
          + zeroRunFirst + ", " + watermark + ")";
    } else if (watermark != lane.end || !pending.isEmpty()) {
      error = lane.describe() + ": lane end at block " + watermark + " before its end";
    } else if (!Arrays.equals(sourceChain, chain.chain())) {
      error = lane.describe() + ": digest chains differ: source " + shown(sourceChain)
          + ", target " + DiskDigest.hex(chain.chain());
    } else if (lane.geometry.parameters().getVerifyReread()) {
      error = new RereadVerifier(lane, chunk).verify(chain.chain());
    } else if (written != null) {
      // Durable by now (flushes.awaitAll): the read comes from what the disk holds.
      error = written.verify(chunk);
    }
    lane.send(link, SyncFrame.newBuilder().setLaneVerified(LaneVerified.newBuilder()
        .setChain(ByteString.copyFrom(chain.chain())).setError(error == null ? "" : error))
        .build());
    if (error != null) {
      throw new SyncException(SyncException.Kind.DATA_LOSS, error);
    }
    return chain.chain();
  }

  /**
   * The source's chain as the verdict quotes it back: a chain is 32 bytes, but a hostile
   * source's may be megabytes, whose hex would go back to it (and into its logs) twice as long.
   */
  private static String shown(byte[] sourceChain) {
    if (sourceChain.length <= DiskDigest.CHAIN_LENGTH) {
      return DiskDigest.hex(sourceChain);
    }
    return DiskDigest.hex(Arrays.copyOf(sourceChain, DiskDigest.CHAIN_LENGTH)) + "… ("
        + sourceChain.length + " bytes)";
  }
}
