package io.failback.common.sync;

import io.failback.common.crypto.JobKey;
import io.failback.common.disk.BlockDevice;
import io.failback.common.hash.BlockDigester;
import io.failback.common.hash.DigestAlgorithm;
import io.failback.common.hash.DiskDigest;
import io.failback.common.hash.LaneDigest;
import io.failback.proto.v1.LaneCheckpoint;
import io.failback.proto.v1.SyncFrame;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.BitSet;

/** What both ends of one lane need: geometry, the disk, hashing and counters. */
final class LaneContext {
  /** Blocks read per positional read while scanning; large reads keep the disk streaming. */
  static final int READ_CHUNK_BYTES = 1 << 20;

  final SessionGeometry geometry;
  final int lane;
  final long first;
  final long end;
  final BlockDevice device;
  final BlockDigester digester;
  final DigestAlgorithm algorithm;
  final SyncProgress progress;
  final GroupFlush flushes;
  /** This side's digest set, or null when the session records none. */
  final DigestSet digests;
  /** Source side of a TRACKED session: the blocks written since the digest set was recorded. */
  final BitSet changed;
  /** The job key of an encrypted session, or null. */
  final JobKey payloadKey;
  /** Paces the frames this side sends and receives. */
  private final Throttle throttle;
  /** Frame bytes this lane sent; only the lane's own thread touches it. */
  private long sentBytes;
  /** The blocks the target wrote in this session, across resumed attempts; made on demand. */
  private WrittenBlocks written;

  LaneContext(SessionGeometry geometry, int lane, BlockDevice device, GroupFlush flushes,
      DigestSet digests, BitSet changed, JobKey payloadKey, Throttle throttle,
      SyncProgress progress) throws SyncException {
    this.payloadKey = payloadKey;
    this.throttle = throttle;
    this.flushes = flushes;
    this.digests = digests;
    this.changed = changed;
    this.geometry = geometry;
    this.lane = lane;
    this.first = geometry.laneFirst(lane);
    this.end = geometry.laneEnd(lane);
    this.device = device;
    this.algorithm = Digests.algorithm(geometry.parameters().getDigestAlgorithm());
    this.digester = new BlockDigester(algorithm, geometry.parameters().getDigestSeed());
    this.progress = progress;
  }

  int digestLength() {
    return digester.digestLength();
  }

  /** The lane digest chain starting at {@code checkpoint}, validated against this lane. */
  LaneDigest chainFrom(LaneCheckpoint checkpoint) throws SyncException {
    long watermark = checkpoint.getWatermarkBlock();
    if (checkpoint.getLane() != lane || !geometry.isBatchStart(lane, watermark)) {
      throw SyncException.precondition("checkpoint of lane %d at block %d does not fit lane %d"
          + " [%d, %d)", checkpoint.getLane(), watermark, lane, first, end);
    }
    if (watermark == first && checkpoint.getChain().isEmpty()) {
      return new LaneDigest(algorithm, geometry.blockSize(), first);
    }
    if (checkpoint.getChain().size() != DiskDigest.CHAIN_LENGTH) {
      throw SyncException.invalid("checkpoint chain has %d bytes, expected %d",
          checkpoint.getChain().size(), DiskDigest.CHAIN_LENGTH);
    }
    return LaneDigest.resume(checkpoint.getChain().toByteArray(), algorithm, watermark);
  }

  /** Reads blocks {@code [from, from + count)} into {@code buffer} (cleared first). */
  void readBlocks(long from, int count, ByteBuffer buffer) throws SyncException {
    read(from, count, buffer, false);
  }

  /**
   * {@link #readBlocks} for the proof of the end state: from the storage itself, around the
   * operating system's cache, where the device can ({@link BlockDevice#readUncached}).
   */
  void readBlocksBack(long from, int count, ByteBuffer buffer) throws SyncException {
    read(from, count, buffer, true);
  }

  private void read(long from, int count, ByteBuffer buffer, boolean back)
      throws SyncException {
    long offset = geometry.offsetOf(from);
    long length = Math.min(geometry.offsetOf(from + count), geometry.parameters().getDiskSize())
        - offset;
    buffer.clear().limit((int) length);
    try {
      if (back) {
        device.readUncached(offset, buffer);
      } else {
        device.read(offset, buffer);
      }
    } catch (IOException e) {
      throw new SyncException(SyncException.Kind.DISK,
          "reading blocks " + from + ".." + (from + count - 1) + ": " + SyncException.reason(e),
          e);
    }
    progress.bytesRead.addAndGet(length);
    buffer.flip();
  }

  /**
   * Tells the disk which blocks of a batch are about to be written (set bits of {@code
   * wanted}), so that a disk with an undo journal preserves them in one durable step.
   */
  void announceOverwrite(long first, int count, byte[] wanted) throws SyncException {
    long[] offsets = new long[count];
    long[] lengths = new long[count];
    int runs = 0;
    long diskSize = geometry.parameters().getDiskSize();
    for (int i = 0; i < count; i++) {
      if ((wanted[i >> 3] & (1 << (i & 7))) == 0) {
        continue;
      }
      long offset = geometry.offsetOf(first + i);
      long end = Math.min(geometry.offsetOf(first + i + 1), diskSize);
      if (runs > 0 && offsets[runs - 1] + lengths[runs - 1] == offset) {
        lengths[runs - 1] += end - offset;
      } else {
        offsets[runs] = offset;
        lengths[runs] = end - offset;
        runs++;
      }
    }
    if (runs == 0) {
      return;
    }
    try {
      device.aboutToOverwrite(Arrays.copyOf(offsets, runs), Arrays.copyOf(lengths, runs));
    } catch (IOException e) {
      throw new SyncException(SyncException.Kind.DISK, describe() + ": preserving blocks"
          + " of the batch at " + first + " before overwriting them: " + SyncException.reason(e),
          e);
    }
  }

  /** Whether blocks {@code [from, from + count)} read as zeros by the format's metadata. */
  boolean knownZero(long from, int count) throws SyncException {
    long offset = geometry.offsetOf(from);
    long length = Math.min(geometry.offsetOf(from + count), geometry.parameters().getDiskSize())
        - offset;
    try {
      return device.isKnownZero(offset, length);
    } catch (IOException e) {
      throw new SyncException(SyncException.Kind.DISK, "probing blocks " + from + ": "
          + SyncException.reason(e), e);
    }
  }

  /**
   * Waits for the throttle, counts the frame toward this side's wire bytes, then sends it; the
   * time it takes (the link's flow control or the limit holding the frame back) is the
   * activity's link wait.
   */
  void send(FrameLink link, SyncFrame frame)
      throws SyncException, LinkException, InterruptedException {
    send(link, frame, false);
  }

  /**
   * As {@link #send(FrameLink, SyncFrame)}; with {@code borrowed} the frame's block bytes
   * alias a buffer the caller reuses once this returns ({@link FrameLink#sendBorrowed}).
   */
  void send(FrameLink link, SyncFrame frame, boolean borrowed)
      throws SyncException, LinkException, InterruptedException {
    int size = frame.getSerializedSize();
    long start = System.nanoTime();
    throttle.take(size);
    progress.bytesOnWire.addAndGet(size);
    sentBytes += size;
    if (borrowed) {
      link.sendBorrowed(frame);
    } else {
      link.send(frame);
    }
    progress.activity().waitedForLink(System.nanoTime() - start);
  }

  /** Frame bytes this lane has sent so far. */
  long sentBytes() {
    return sentBytes;
  }

  /** Receives the next frame, counting it toward this side's received bytes. */
  SyncFrame receive(FrameLink link) throws SyncException, LinkException, InterruptedException {
    return received(link.receive());
  }

  /** The next frame if one is already there (counted like {@link #receive}), else null. */
  SyncFrame poll(FrameLink link) throws SyncException, LinkException, InterruptedException {
    return received(link.poll());
  }

  private SyncFrame received(SyncFrame frame) throws InterruptedException {
    if (frame != null) {
      int size = frame.getSerializedSize();
      progress.bytesReceived.addAndGet(size);
      throttle.take(size);
    }
    return frame;
  }

  /** Work of the lane that {@link #timed} measures. */
  @FunctionalInterface
  interface Section {
    void run() throws SyncException, LinkException, InterruptedException;
  }

  /** Runs {@code section} as activity of {@code kind}, with the bytes it sent. */
  void timed(SyncActivity.Kind kind, Section section)
      throws SyncException, LinkException, InterruptedException {
    long before = sentBytes;
    progress.activity().begin(kind);
    try {
      section.run();
    } finally {
      progress.activity().end(kind, sentBytes - before);
    }
  }

  /** Reads recorded digests of blocks {@code [first, first + count)}. */
  byte[] recorded(long first, int count) throws SyncException {
    try {
      return digests.read(first, count);
    } catch (IOException e) {
      throw new SyncException(SyncException.Kind.DISK, "reading the digest set: "
          + SyncException.reason(e), e);
    }
  }

  /** Records final digests of blocks {@code [first, first + count)} if the session keeps them. */
  void record(long first, int count, byte[] packed) throws SyncException {
    if (digests == null) {
      return;
    }
    try {
      digests.write(first, count, packed);
    } catch (IOException e) {
      throw new SyncException(SyncException.Kind.DISK, "writing the digest set: "
          + SyncException.reason(e), e);
    }
  }

  /** Makes recorded digests durable; called before a checkpoint is reported. */
  void flushRecorded() throws SyncException {
    if (digests == null) {
      return;
    }
    try {
      digests.flush();
    } catch (IOException e) {
      throw new SyncException(SyncException.Kind.DISK, "flushing the digest set: "
          + SyncException.reason(e), e);
    }
  }

  /** What the target end of this lane wrote in the session. */
  WrittenBlocks written() {
    if (written == null) {
      written = new WrittenBlocks(this);
    }
    return written;
  }

  /** Blocks per read chunk, at least one. */
  int chunkBlocks() {
    return Math.max(1, READ_CHUNK_BYTES / geometry.blockSize());
  }

  String describe() {
    return "lane " + lane + " [" + first + ", " + end + ")";
  }
}
