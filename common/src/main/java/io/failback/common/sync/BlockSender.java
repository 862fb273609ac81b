package io.failback.common.sync;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.failback.common.codec.BlockCodec;
import io.failback.common.codec.CompressionBackoff;
import io.failback.common.codec.Encoding;
import io.failback.common.crypto.PayloadSealer;
import io.failback.common.hash.ZeroBlocks;
import io.failback.proto.v1.BlockEncoding;
import io.failback.proto.v1.BlockPayload;
import io.failback.proto.v1.SyncFrame;
import io.failback.proto.v1.ZeroRange;

/**
 * The source lane's sender of blocks: in order, runs of all-zero blocks coalesced into zero
 * ranges, each block compressed where the disk compresses and sealed when the session is
 * encrypted. A batch's caller flushes the zero run before it ends the batch.
 */
final class BlockSender {
  private final LaneContext lane;
  private final FrameLink link;
  private final BlockCodec codec;
  /** Stops trying to compress where the disk does not compress: over all of the lane's batches. */
  private final CompressionBackoff backoff = new CompressionBackoff();
  /** Seals payloads after compression, or null when the session is not encrypted. */
  private final PayloadSealer sealer;
  private long zeroFirst = -1;
  private int zeroCount;

  BlockSender(LaneContext lane, FrameLink link) {
    this.lane = lane;
    this.link = link;
    this.codec = lane.geometry.codec().encoding() == Encoding.RAW ? null
        : new BlockCodec(lane.geometry.blockSize(), lane.geometry.codec());
    this.sealer = lane.payloadKey == null ? null
        : new PayloadSealer(lane.payloadKey, lane.geometry.parameters().getSessionId());
  }

  void zero(long index) throws SyncException, LinkException, InterruptedException {
    if (zeroCount > 0 && zeroFirst + zeroCount != index) {
      flushZeros();
    }
    if (zeroCount == 0) {
      zeroFirst = index;
    }
    zeroCount++;
  }

  void block(long index, byte[] data, int offset, int length, byte[] digest)
      throws SyncException, LinkException, InterruptedException {
    if (ZeroBlocks.isAllZero(data, offset, length)) {
      zero(index);
      return;
    }
    flushZeros();
    BlockPayload.Builder payload = BlockPayload.newBuilder().setBlockIndex(index)
        .setRawLength(length).setDigest(ByteString.copyFrom(digest));
    // An incompressible block is sent from the read buffer: compress() copies nothing then.
    BlockCodec.Encoded encoded = null;
    if (codec != null && backoff.shouldTry()) {
      encoded = codec.compress(data, offset, length);
      backoff.tried(encoded != null);
    }
    boolean borrowed;
    if (encoded != null) {
      borrowed = encode(payload, encoded.encoding() == Encoding.LZ4 ? BlockEncoding.LZ4
          : BlockEncoding.ZSTD, encoded.data(), 0, encoded.data().length, true);
    } else {
      borrowed = encode(payload, BlockEncoding.UNCOMPRESSED, data, offset, length, false);
    }
    lane.send(link, SyncFrame.newBuilder().setBlock(payload).build(), borrowed);
    lane.progress.blocksSent.incrementAndGet();
  }

  /**
   * Sets the encoded bytes, sealed when the session is encrypted (compressed first); returns
   * whether the payload borrows {@code bytes}.
   *
   * @param owned whether {@code bytes} are this call's alone (a compressor's output); a read
   *     buffer is not: it is wrapped all the same, and the link copies it only if it cannot
   *     write it out before the buffer is reused ({@link FrameLink#sendBorrowed})
   */
  private boolean encode(BlockPayload.Builder payload, BlockEncoding encoding, byte[] bytes,
      int offset, int length, boolean owned) {
    payload.setEncoding(encoding);
    if (sealer == null) {
      payload.setData(UnsafeByteOperations.unsafeWrap(bytes, offset, length));
      return !owned;
    }
    PayloadSealer.Sealed sealed = sealer.seal(payload.getBlockIndex(), encoding.getNumber(),
        payload.getRawLength(), bytes, offset, length);
    payload.setNonce(ByteString.copyFrom(sealed.nonce()))
        .setData(UnsafeByteOperations.unsafeWrap(sealed.ciphertext()));
    return false;
  }

  /**
   * Sends {@code [first, +count)} as one zero range, after any pending one; counts its blocks
   * as zeros sent when {@code counted} (a DELTA run's count is the target's, known at its
   * acknowledgement).
   */
  void zeroRange(long first, int count, boolean counted)
      throws SyncException, LinkException, InterruptedException {
    flushZeros();
    lane.send(link, SyncFrame.newBuilder().setZeros(ZeroRange.newBuilder()
        .setFirstBlock(first).setBlockCount(count)).build());
    if (counted) {
      lane.progress.blocksZero.addAndGet(count);
    }
  }

  void flushZeros() throws SyncException, LinkException, InterruptedException {
    if (zeroCount > 0) {
      lane.send(link, SyncFrame.newBuilder().setZeros(ZeroRange.newBuilder()
          .setFirstBlock(zeroFirst).setBlockCount(zeroCount)).build());
      lane.progress.blocksZero.addAndGet(zeroCount);
      zeroCount = 0;
    }
  }
}
