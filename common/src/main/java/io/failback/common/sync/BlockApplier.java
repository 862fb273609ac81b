package io.failback.common.sync;

import io.failback.common.codec.BlockCodec;
import io.failback.common.codec.Encoding;
import io.failback.common.crypto.PayloadOpener;
import io.failback.common.hash.DiskDigest;
import io.failback.proto.v1.BlockPayload;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.util.Arrays;

/**
 * Writes received blocks to the target disk, after decoding them and checking their digest.
 *
 * <p>The check comes first so that a corrupted or forged payload never reaches the disk.
 */
final class BlockApplier {
  private final LaneContext lane;
  private final BlockCodec codec;
  /** Opens sealed payloads, or null when the session is not encrypted. */
  private final PayloadOpener opener;

  BlockApplier(LaneContext lane) {
    this.lane = lane;
    this.codec = new BlockCodec(lane.geometry.blockSize());
    this.opener = lane.payloadKey == null ? null
        : new PayloadOpener(lane.payloadKey, lane.geometry.parameters().getSessionId());
  }

  /**
   * Validates and writes one block; returns its digest.
   *
   * @param expected the source's digest from the checksum batch, or null in full mode
   */
  byte[] writeBlock(BlockPayload block, byte[] expected) throws SyncException {
    Checked checked = check(block, expected);
    write(block.getBlockIndex(), checked.data());
    return checked.digest();
  }

  /** A received block's bytes, decoded and found to have the digest they came with. */
  record Checked(byte[] data, byte[] digest) {}

  /**
   * Decodes one block and checks it against its digest (and {@code expected}, the source's
   * digest from the checksum batch, unless null), writing nothing.
   */
  Checked check(BlockPayload block, byte[] expected) throws SyncException {
    long index = block.getBlockIndex();
    int length = lane.geometry.blockLength(index);
    if (block.getRawLength() != length) {
      throw SyncException.invalid("%s: block %d has raw_length %d, expected %d",
          lane.describe(), index, block.getRawLength(), length);
    }
    byte[] data = decode(block, length);
    byte[] digest = lane.digester.digest(data, 0, data.length);
    if (!Arrays.equals(digest, block.getDigest().toByteArray())
        || (expected != null && !Arrays.equals(digest, expected))) {
      throw new SyncException(SyncException.Kind.DATA_LOSS, lane.describe() + ": block "
          + index + " does not match its digest after decoding (got " + DiskDigest.hex(digest)
          + ", expected " + DiskDigest.hex(expected != null ? expected
          : block.getDigest().toByteArray()) + "); nothing was written");
    }
    return new Checked(data, digest);
  }

  /** Writes a checked block. */
  void write(long index, byte[] data) throws SyncException {
    try {
      lane.device.write(lane.geometry.offsetOf(index), ByteBuffer.wrap(data));
    } catch (IOException e) {
      throw new SyncException(SyncException.Kind.DISK, "writing block " + index + ": "
          + SyncException.reason(e), e);
    }
    lane.progress.blocksSent.incrementAndGet();
    lane.progress.bytesWritten.addAndGet(data.length);
  }

  private byte[] decode(BlockPayload block, int length) throws SyncException {
    byte[] encoded = open(block);
    try {
      return switch (block.getEncoding()) {
        case UNCOMPRESSED -> {
          if (encoded.length != length) {
            throw SyncException.invalid("%s: block %d carries %d bytes, expected %d",
                lane.describe(), block.getBlockIndex(), encoded.length, length);
          }
          yield encoded;
        }
        case LZ4 -> codec.decode(sessions(Encoding.LZ4, block), encoded, length);
        case ZSTD -> codec.decode(sessions(Encoding.ZSTD, block), encoded, length);
        default -> throw SyncException.invalid("%s: block %d has unknown encoding %s",
            lane.describe(), block.getBlockIndex(), block.getEncoding());
      };
    } catch (IllegalArgumentException e) {
      throw SyncException.invalid("%s: block %d does not decode: %s", lane.describe(),
          block.getBlockIndex(), e.getMessage());
    }
  }

  /**
   * {@code encoding} if it is the session's: a source compresses with what the session names
   * or not at all, so nothing else reaches a decoder.
   */
  private Encoding sessions(Encoding encoding, BlockPayload block) throws SyncException {
    if (lane.geometry.codec().encoding() != encoding) {
      throw SyncException.invalid("%s: block %d is encoded %s but the session compresses with"
          + " %s", lane.describe(), block.getBlockIndex(), block.getEncoding(),
          lane.geometry.codec());
    }
    return encoding;
  }

  /** The encoded bytes of {@code block}: its data, or in an encrypted session its opened data. */
  private byte[] open(BlockPayload block) throws SyncException {
    if (opener == null) {
      if (!block.getNonce().isEmpty()) {
        throw SyncException.invalid("%s: block %d carries a nonce but the session is not"
            + " encrypted", lane.describe(), block.getBlockIndex());
      }
      return block.getData().toByteArray();
    }
    try {
      return opener.open(block.getBlockIndex(), block.getEncodingValue(), block.getRawLength(),
          block.getNonce().toByteArray(), block.getData().toByteArray());
    } catch (GeneralSecurityException e) {
      // Before decoding and hashing: a payload this key did not seal for this very block of
      // this session is never decompressed, let alone written.
      throw new SyncException(SyncException.Kind.DATA_LOSS, lane.describe() + ": block "
          + block.getBlockIndex() + " does not authenticate under job key '"
          + lane.payloadKey.keyId() + "' (changed, replayed, moved or sealed with another key: "
          + SyncException.reason(e) + "); nothing was written", e);
    }
  }

  void writeZeros(long first, int count) throws SyncException {
    zero(first, count);
    lane.progress.blocksZero.addAndGet(count);
  }

  /** Writes zeros over blocks {@code [first, first + count)}, counting nothing. */
  void zero(long first, int count) throws SyncException {
    long offset = lane.geometry.offsetOf(first);
    long end = Math.min(lane.geometry.offsetOf(first + count),
        lane.geometry.parameters().getDiskSize());
    try {
      lane.device.writeZeroes(offset, end - offset);
    } catch (IOException e) {
      throw new SyncException(SyncException.Kind.DISK, "zeroing blocks " + first + ".."
          + (first + count - 1) + ": " + SyncException.reason(e), e);
    }
  }

  /** A ticket for everything written so far, to wait on with {@link #awaitDurable}. */
  long ticket() {
    return lane.flushes.ticket();
  }

  /** Returns once the writes covered by {@code ticket} are on stable storage. */
  void awaitDurable(long ticket) throws SyncException, InterruptedException {
    try {
      lane.flushes.awaitDurable(ticket);
    } catch (IOException e) {
      throw new SyncException(SyncException.Kind.DISK, "flushing: " + SyncException.reason(e),
          e);
    }
  }
}
