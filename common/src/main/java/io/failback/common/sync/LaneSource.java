package io.failback.common.sync;

import com.google.protobuf.ByteString;
import io.failback.common.hash.DiskDigest;
import io.failback.common.hash.LaneDigest;
import io.failback.proto.v1.BatchAck;
import io.failback.proto.v1.BatchEnd;
import io.failback.proto.v1.ChecksumBatch;
import io.failback.proto.v1.LaneCheckpoint;
import io.failback.proto.v1.LaneEnd;
import io.failback.proto.v1.SyncFrame;
import io.failback.proto.v1.SyncMode;
import io.failback.proto.v1.WantedBlocks;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The source end of one lane: reads a point-in-time view, sends digests (delta) or blocks
 * (full), answers wants, and checks each acknowledgement's digest chain against its own.
 *
 * <p>At most {@code window_batches} batches are outstanding, so memory is bounded by the window
 * whatever the disk size: the batch's bytes are not kept but re-read when the target wants them.
 * Nor are more than {@link #BLOCK_BATCHES_IN_FLIGHT} batches' worth of frame bytes: a batch
 * without changed blocks (a TRACKED batch the guest did not write, a FULL batch of zeros) costs
 * a few bytes and a round trip, so over a WAN only a large window of them keeps the link busy,
 * while a cut link sends the blocks of unacknowledged batches again.
 */
final class LaneSource {
  /**
   * Full batches' worth of frame bytes a lane keeps unacknowledged at most (128 MiB of 64 KiB
   * blocks in batches of 256): enough for 1 Gbit/s at 120 ms on two lanes (docs/BENCHMARKS.md).
   */
  static final int BLOCK_BATCHES_IN_FLIGHT = 8;

  private final LaneContext lane;
  private final FrameLink link;
  private final boolean delta;
  private final boolean tracked;
  /** DELTA against the view the digest set was recorded from: digests come from the set. */
  private final boolean recordedDigests;
  /** Sends the lane's blocks; a batch's zero runs go out before its end. */
  private final BlockSender blocks;
  private final ByteBuffer chunk;
  private final Deque<OutstandingBatch> outstanding = new ArrayDeque<>();
  /** Frame bytes of the outstanding batches: digests, blocks, zero ranges, batch ends. */
  private long unacknowledgedBytes;
  private final long byteBudget;
  /** Most batches one end closes ({@link BatchRun}); 1 when the session allows no runs. */
  private final int maxRunBatches;
  /** The batch start {@link #zeroRunEnd} probed last, and the end of its run of zeros. */
  private long probedFirst = -1;
  private long probedRunEnd;
  private LaneDigest chain;
  private long next;

  private final Consumer<LaneCheckpoint> durable;

  LaneSource(LaneContext lane, FrameLink link, Consumer<LaneCheckpoint> durable) {
    this.lane = lane;
    this.link = link;
    this.durable = durable;
    this.delta = lane.geometry.parameters().getMode() == SyncMode.DELTA;
    this.tracked = lane.geometry.parameters().getMode() == SyncMode.TRACKED;
    this.recordedDigests = lane.geometry.parameters().getSourceDigestsRecorded();
    this.blocks = new BlockSender(lane, link);
    this.chunk = ByteBuffer.allocate(lane.chunkBlocks() * lane.geometry.blockSize());
    this.byteBudget = (long) BLOCK_BATCHES_IN_FLIGHT
        * lane.geometry.parameters().getBlocksPerBatch() * lane.geometry.blockSize();
    this.maxRunBatches = BatchRun.maxBatches(lane.geometry);
  }

  /** Runs the lane from {@code start} to the target's verdict; returns the lane chain. */
  byte[] run(LaneCheckpoint start) throws SyncException, LinkException, InterruptedException {
    chain = lane.chainFrom(start);
    next = start.getWatermarkBlock();
    int window = lane.geometry.parameters().getWindowBatches();
    while (next < lane.end || awaitingWants()) {
      SyncFrame frame = lane.poll(link);
      if (frame == null && (next >= lane.end || outstanding.size() >= window
          || unacknowledgedBytes >= byteBudget || runAwaitsWants())) {
        frame = lane.receive(link);
      }
      if (frame != null) {
        handle(frame);
        continue;
      }
      long before = lane.sentBytes();
      if (tracked) {
        lane.timed(SyncActivity.Kind.SEND, this::sendTrackedBatch);
      } else {
        // A delta batch is a checksum pass; a full one sends its blocks.
        lane.timed(delta ? SyncActivity.Kind.CHECKSUM : SyncActivity.Kind.SEND,
            this::sendBatch);
      }
      charge(outstanding.peekLast(), before);
    }
    // The lane's end follows its last batch's end at once, not a round trip later once every
    // acknowledgement is in: the target verifies when all its batches are durable, and their
    // acknowledgements reach this side before its verdict does.
    lane.send(link, SyncFrame.newBuilder()
        .setLaneEnd(LaneEnd.newBuilder().setChain(ByteString.copyFrom(chain.chain()))).build());
    SyncFrame verdict = lane.receive(link);
    while (verdict.hasAck()) {
      acknowledged(verdict.getAck());
      verdict = lane.receive(link);
    }
    if (!verdict.hasLaneVerified()) {
      throw SyncException.precondition("%s: expected LaneVerified, got %s", lane.describe(),
          verdict.getKindCase());
    }
    if (!verdict.getLaneVerified().getError().isEmpty()) {
      throw SyncException.fromPeer(SyncException.Kind.DATA_LOSS,
          verdict.getLaneVerified().getError());
    }
    if (!outstanding.isEmpty()) {
      throw SyncException.precondition("%s: the target verified the lane with batch [%d, +%d)"
          + " unacknowledged", lane.describe(), outstanding.peekFirst().first,
          outstanding.peekFirst().count);
    }
    return chain.chain();
  }

  /**
   * DELTA: whether the next batches are a run of zeros that must wait until every checksum
   * batch before it is ended. The target applies a run from its watermark, with no batch open.
   */
  private boolean runAwaitsWants() throws SyncException {
    return delta && next < lane.end && awaitingWants()
        && zeroRunEnd(next) - next > lane.geometry.batchLength(lane.lane, next);
  }

  /** The end of the run of whole batches of zeros from the batch start {@code first}. */
  private long zeroRunEnd(long first) throws SyncException {
    // A re-verification sends what it recorded and reads the view only for what differs: the
    // view may be gone by then (a KVM snapshot's export dies with the cloud VM's QEMU).
    if (maxRunBatches <= 1 || tracked || recordedDigests) {
      return first;
    }
    if (probedFirst != first) {
      probedRunEnd = BatchRun.zerosFrom(lane, first, maxRunBatches);
      probedFirst = first;
    }
    return probedRunEnd;
  }

  /** Whether a batch's digests went out and the target has not said yet which blocks it wants. */
  private boolean awaitingWants() {
    return firstAwaitingWants().isPresent();
  }

  /** The oldest batch whose wants have not come yet: the one the next wants answer. */
  private Optional<OutstandingBatch> firstAwaitingWants() {
    return outstanding.stream().filter(o -> !o.wantsAnswered).findFirst();
  }

  private void handle(SyncFrame frame)
      throws SyncException, LinkException, InterruptedException {
    switch (frame.getKindCase()) {
      case WANTS -> lane.timed(SyncActivity.Kind.SEND, () -> answer(frame.getWants()));
      case ACK -> acknowledged(frame.getAck());
      default -> throw SyncException.precondition("%s: a source does not expect %s",
          lane.describe(), frame.getKindCase());
    }
  }

  /** Reads and hashes the next batch; sends its digests (delta) or its blocks (full). */
  private void sendBatch() throws SyncException, LinkException, InterruptedException {
    long first = next;
    int count = lane.geometry.batchLength(lane.lane, first);
    long runEnd = zeroRunEnd(first);
    if (runEnd - first > count) {
      sendRun(first, runEnd, true);
      return;
    }
    if (recordedDigests) {
      sendRecordedChecksums(first, count);
      return;
    }
    byte[] digests = new byte[count * lane.digestLength()];
    for (int done = 0; done < count; ) {
      int n = Math.min(lane.chunkBlocks(), count - done);
      long from = first + done;
      if (lane.knownZero(from, n)) {
        for (int i = 0; i < n; i++) {
          put(digests, done + i,
              lane.digester.zeroBlockDigest(lane.geometry.blockLength(from + i)));
          if (!delta) {
            blocks.zero(from + i);
          }
        }
      } else {
        lane.readBlocks(from, n, chunk);
        for (int i = 0; i < n; i++) {
          int length = lane.geometry.blockLength(from + i);
          int offset = i * lane.geometry.blockSize();
          byte[] digest = lane.digester.digest(chunk.array(), offset, length);
          put(digests, done + i, digest);
          if (!delta) {
            blocks.block(from + i, chunk.array(), offset, length, digest);
          }
        }
      }
      lane.progress.blocksScanned.addAndGet(n);
      done += n;
    }
    lane.record(first, count, digests);
    if (delta) {
      lane.send(link, SyncFrame.newBuilder().setChecksums(ChecksumBatch.newBuilder()
          .setFirstBlock(first).setBlockCount(count).setDigests(ByteString.copyFrom(digests)))
          .build());
    } else {
      blocks.flushZeros();
      sendBatchEnd(first, count);
    }
    chain.addBatch(first, Digests.split(digests, count, lane.digestLength()));
    outstanding.add(new OutstandingBatch(first, count, digests, chain.chain(), !delta));
    next = first + count;
  }

  /**
   * Sends the digests recorded for the batch without reading it: the view is the point in time
   * they were recorded from, so only the blocks the target wants are read (and checked).
   */
  private void sendRecordedChecksums(long first, int count)
      throws SyncException, LinkException, InterruptedException {
    byte[] digests = lane.recorded(first, count);
    lane.send(link, SyncFrame.newBuilder().setChecksums(ChecksumBatch.newBuilder()
        .setFirstBlock(first).setBlockCount(count).setDigests(ByteString.copyFrom(digests)))
        .build());
    lane.progress.blocksScanned.addAndGet(count);
    chain.addBatch(first, Digests.split(digests, count, lane.digestLength()));
    outstanding.add(new OutstandingBatch(first, count, digests, chain.chain(), false));
    next = first + count;
  }

  /**
   * Sends only the batch's blocks written since the digest set was recorded; the others keep
   * their recorded digests, so nothing else is read.
   */
  private void sendTrackedBatch() throws SyncException, LinkException, InterruptedException {
    long first = next;
    int count = lane.geometry.batchLength(lane.lane, first);
    long runEnd = BatchRun.unchangedFrom(lane, first, maxRunBatches);
    if (runEnd - first > count) {
      sendRun(first, runEnd, false);
      return;
    }
    byte[] digests = lane.recorded(first, count);
    for (int i = lane.changed.nextSetBit((int) first); i >= 0 && i < first + count;
        i = lane.changed.nextSetBit(i + 1)) {
      lane.readBlocks(i, 1, chunk);
      int length = lane.geometry.blockLength(i);
      byte[] digest = lane.digester.digest(chunk.array(), 0, length);
      lane.progress.blocksScanned.incrementAndGet();
      if (!lane.geometry.parameters().getSendEveryChanged()
          && Arrays.equals(digest, Digests.at(digests, (int) (i - first), lane.digestLength()))) {
        // Written since, but back to what both sides recorded (a failback's own phase-2
        // write, which the host's tracking reports too): the target holds it already, unless
        // the session says its disk may not (send_every_changed).
        lane.progress.blocksEqual.incrementAndGet();
        continue;
      }
      put(digests, (int) (i - first), digest);
      blocks.block(i, chunk.array(), 0, length, digest);
    }
    blocks.flushZeros();
    // Recorded only once acknowledged (see acknowledged()): until then the target's digest
    // set still holds the old digests, and a resumed batch must compare against those.
    sendBatchEnd(first, count);
    chain.addBatch(first, Digests.split(digests, count, lane.digestLength()));
    outstanding.add(new OutstandingBatch(first, count, digests, chain.chain(), true));
    next = first + count;
  }

  /**
   * Ends the whole batches {@code [first, end)} with one batch end ({@link BatchRun}): FULL
   * batches known to be zeros after one zero range, TRACKED batches the guest did not write
   * after nothing (their digests are the recorded ones on both sides). Nothing is read or kept.
   */
  private void sendRun(long first, long end, boolean zeros)
      throws SyncException, LinkException, InterruptedException {
    int count = (int) (end - first);
    if (zeros) {
      for (long batch = first; batch < end; ) {
        int n = lane.geometry.batchLength(lane.lane, batch);
        byte[] digests = BatchRun.zeroDigests(lane, batch, n);
        lane.record(batch, n, digests);
        chain.addBatch(batch, Digests.split(digests, n, lane.digestLength()));
        batch += n;
      }
      lane.progress.blocksScanned.addAndGet(count);
      // DELTA: the target zeroes only those it does not hold as zeros; counted at the ack.
      blocks.zeroRange(first, count, !delta);
    } else {
      BatchRun.foldRecorded(lane, chain, first, end);
    }
    sendBatchEnd(first, count);
    outstanding.add(new OutstandingBatch(first, count, null, chain.chain(), true));
    next = end;
  }

  private void answer(WantedBlocks wants)
      throws SyncException, LinkException, InterruptedException {
    long before = lane.sentBytes();
    OutstandingBatch batch = firstAwaitingWants().orElseThrow(() -> SyncException.precondition(
        "%s: wants for block %d but no batch awaits them", lane.describe(),
        wants.getFirstBlock()));
    if (wants.getFirstBlock() != batch.first || wants.getBlockCount() != batch.count
        || wants.getBitmap().size() != (batch.count + 7) / 8) {
      throw SyncException.invalid("%s: wants for [%d, +%d) with a %d-byte bitmap do not match"
          + " the batch [%d, +%d)", lane.describe(), wants.getFirstBlock(),
          wants.getBlockCount(), wants.getBitmap().size(), batch.first, batch.count);
    }
    byte[] bitmap = wants.getBitmap().toByteArray();
    for (int i = 0; i < batch.count; i++) {
      if ((bitmap[i >> 3] & (1 << (i & 7))) == 0) {
        // The source's progress is the job's when the agent is the target (failback).
        lane.progress.blocksEqual.incrementAndGet();
      } else {
        long index = batch.first + i;
        lane.readBlocks(index, 1, chunk);
        int length = lane.geometry.blockLength(index);
        byte[] digest = Digests.at(batch.digests, i, lane.digestLength());
        byte[] actual = lane.digester.digest(chunk.array(), 0, length);
        if (!Arrays.equals(digest, actual)) {
          // The view must be point-in-time; a changed block means the snapshot is not one.
          throw new SyncException(SyncException.Kind.DATA_LOSS, lane.describe() + ": block "
              + index + (recordedDigests ? " differs from the digest recorded for this view"
                  : " changed between scan and send") + "; the source view is not stable");
        }
        blocks.block(index, chunk.array(), 0, length, digest);
      }
    }
    blocks.flushZeros();
    sendBatchEnd(batch.first, batch.count);
    batch.wantsAnswered = true;
    charge(batch, before);
  }

  /** Counts what the lane sent since {@code before} toward {@code batch}'s bytes in flight. */
  private void charge(OutstandingBatch batch, long before) {
    long bytes = lane.sentBytes() - before;
    batch.bytes += bytes;
    unacknowledgedBytes += bytes;
  }

  private void acknowledged(BatchAck ack) throws SyncException {
    OutstandingBatch oldest = outstanding.peekFirst();
    if (oldest == null || !oldest.wantsAnswered
        || ack.getWatermarkBlock() != oldest.first + oldest.count) {
      throw SyncException.precondition("%s: acknowledgement of block %d does not match the"
          + " oldest outstanding batch %s", lane.describe(), ack.getWatermarkBlock(),
          oldest == null ? "(none)" : "[" + oldest.first + ", +" + oldest.count + ")");
    }
    if (!Arrays.equals(ack.getChain().toByteArray(), oldest.chainAfter)) {
      throw new SyncException(SyncException.Kind.DATA_LOSS, lane.describe()
          + ": digest chain differs at block " + ack.getWatermarkBlock() + ": source "
          + DiskDigest.hex(oldest.chainAfter) + ", target "
          + DiskDigest.hex(ack.getChain().toByteArray()));
    }
    if (Integer.compareUnsigned(ack.getBlocksHeld(), oldest.count) > 0) {
      throw SyncException.invalid("%s: acknowledgement of block %d says the target held %d"
          + " blocks of a batch of %d", lane.describe(), ack.getWatermarkBlock(),
          Integer.toUnsignedLong(ack.getBlocksHeld()), oldest.count);
    }
    outstanding.removeFirst();
    unacknowledgedBytes -= oldest.bytes;
    // The target left these unwritten: equal on both sides, though the wire carried them.
    lane.progress.blocksEqual.addAndGet(ack.getBlocksHeld());
    if (delta && oldest.digests == null) {
      lane.progress.blocksZero.addAndGet(oldest.count - ack.getBlocksHeld());
    }
    if (tracked && oldest.digests != null) {
      lane.record(oldest.first, oldest.count, oldest.digests);
    }
    // The recorded digests below the watermark must survive whatever the checkpoint survives.
    lane.flushRecorded();
    durable.accept(LaneCheckpoint.newBuilder().setLane(lane.lane)
        .setWatermarkBlock(ack.getWatermarkBlock()).setChain(ack.getChain()).build());
    lane.progress.settle(lane.lane, lane.first, ack.getWatermarkBlock());
    lane.progress.activity().acknowledged();
  }

  private void sendBatchEnd(long first, int count)
      throws SyncException, LinkException, InterruptedException {
    lane.send(link, SyncFrame.newBuilder().setBatchEnd(BatchEnd.newBuilder()
        .setFirstBlock(first).setBlockCount(count)
        .setSourceBlocksScanned(lane.progress.blocksScanned.get())
        .setSourceBlocksEqual(lane.progress.blocksEqual.get())
        .setSourceBytesRead(lane.progress.bytesRead.get())).build());
  }

  private void put(byte[] packed, int i, byte[] digest) {
    System.arraycopy(digest, 0, packed, i * digest.length, digest.length);
  }
}
