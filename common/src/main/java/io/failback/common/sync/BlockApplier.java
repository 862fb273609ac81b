package io.failback.common.sync;

import io.failback.common.codec.BlockCodec;
import io.failback.common.codec.Encoding;
import io.failback.common.crypto.PayloadOpener;
import io.failback.common.hash.DiskDigest;
import io.failback.proto.v1.BlockEncoding;
import io.failback.proto.v1.BlockPayload;
import io.failback.proto.v1.SyncMode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.util.Arrays;

/**
 * Writes received blocks to the target disk, after decoding them and checking their digest.
 *
 * <p>The check comes first so that a corrupted or forged payload never reaches the disk.
 */
final class BlockApplier implements AutoCloseable {
  private final LaneContext lane;
  private final BlockCodec codec;
  /** Opens sealed payloads, or null when the session is not encrypted. */
  private final PayloadOpener opener;
  /** The bytes of a block received in pieces, checked here (the lane's thread only). */
  private final byte[] scratch;
  /** The lane's writes, behind it; started by the first block written. */
  private WriteBehind behind;

  BlockApplier(LaneContext lane) {
    this.lane = lane;
    this.codec = new BlockCodec(lane.geometry.blockSize());
    this.opener = lane.payloadKey == null ? null
        : new PayloadOpener(lane.payloadKey, lane.geometry.parameters().getSessionId());
    this.scratch = new byte[lane.geometry.blockSize()];
  }

  /**
   * Validates and writes one block; returns its digest.
   *
   * @param expected the source's digest from the checksum batch, or null in full mode
   */
  byte[] writeBlock(BlockPayload block, byte[] expected)
      throws SyncException, InterruptedException {
    // Hashed and handed to the writer where the parsed message holds the bytes: a copy per
    // 64 KiB block, or a new array with its zeroing and garbage, is CPU the target's copy
    // shares with TLS and the socket. Only bytes that came in pieces were copied into the
    // scratch buffer, which the next block reuses: the writer gets a copy of those.
    Checked checked = check(block, expected);
    boolean reused = checked.data() == scratch;
    byte[] data = reused ? Arrays.copyOf(scratch, checked.length()) : checked.data();
    int offset = reused ? 0 : checked.offset();
    long index = block.getBlockIndex();
    try {
      writer().submit(lane.geometry.offsetOf(index), data, offset, checked.length());
    } catch (IOException e) {
      throw new SyncException(SyncException.Kind.DISK, "writing block " + index + " (or one"
          + " before it): " + SyncException.reason(e), e);
    }
    lane.progress.blocksSent.incrementAndGet();
    lane.progress.bytesWritten.addAndGet(checked.length());
    return checked.digest();
  }

  /**
   * A received block's bytes, decoded and found to have the digest they came with:
   * {@code length} bytes of {@code data} from {@code offset}.
   */
  record Checked(byte[] data, int offset, int length, byte[] digest) {}

  /**
   * Decodes one block and checks it against its digest (and {@code expected}, the source's
   * digest from the checksum batch, unless null), writing nothing. An uncompressed plain
   * block's bytes are read where the received message holds them, or copied into the lane's
   * scratch buffer when it holds them in pieces: valid until the next block is checked, not
   * the caller's to keep.
   */
  Checked check(BlockPayload block, byte[] expected) throws SyncException {
    long index = block.getBlockIndex();
    int length = lane.geometry.blockLength(index);
    if (block.getRawLength() != length) {
      throw SyncException.invalid("%s: block %d has raw_length %d, expected %d",
          lane.describe(), index, block.getRawLength(), length);
    }
    BackingArray received = plain(block) ? BackingArray.of(block.getData()) : null;
    byte[] data;
    int offset;
    if (received != null) {
      if (block.getData().size() != length) {
        throw carries(block, block.getData().size(), length);
      }
      data = received.array();
      offset = received.offset();
    } else {
      data = decode(block, length);
      offset = 0;
    }
    byte[] digest = lane.digester.digest(data, offset, length);
    if (!Arrays.equals(digest, block.getDigest().toByteArray())
        || (expected != null && !Arrays.equals(digest, expected))) {
      throw new SyncException(SyncException.Kind.DATA_LOSS, lane.describe() + ": block "
          + index + " does not match its digest after decoding (got " + DiskDigest.hex(digest)
          + ", expected " + DiskDigest.hex(expected != null ? expected
          : block.getDigest().toByteArray()) + "); nothing was written");
    }
    return new Checked(data, offset, length, digest);
  }

  private boolean plain(BlockPayload block) {
    return block.getEncoding() == BlockEncoding.UNCOMPRESSED && opener == null
        && block.getNonce().isEmpty();
  }

  private SyncException carries(BlockPayload block, int carried, int length) {
    return SyncException.invalid("%s: block %d carries %d bytes, expected %d", lane.describe(),
        block.getBlockIndex(), carried, length);
  }

  /** Writes a checked block: {@code length} bytes of {@code data} from {@code offset}. */
  void write(long index, byte[] data, int offset, int length) throws SyncException {
    try {
      lane.device.write(lane.geometry.offsetOf(index), ByteBuffer.wrap(data, offset, length));
    } catch (IOException e) {
      throw new SyncException(SyncException.Kind.DISK, "writing block " + index + ": "
          + SyncException.reason(e), e);
    }
    lane.progress.blocksSent.incrementAndGet();
    lane.progress.bytesWritten.addAndGet(length);
  }

  /** The block's {@code length} raw bytes, at the start of the array returned. */
  private byte[] decode(BlockPayload block, int length) throws SyncException {
    if (block.getEncoding() == BlockEncoding.UNCOMPRESSED && opener == null) {
      checkNoNonce(block);
      if (block.getData().size() != length) {
        throw carries(block, block.getData().size(), length);
      }
      block.getData().copyTo(scratch, 0);
      return scratch;
    }
    byte[] encoded = open(block);
    try {
      return switch (block.getEncoding()) {
        case UNCOMPRESSED -> {
          if (encoded.length != length) {
            throw carries(block, encoded.length, length);
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
      checkNoNonce(block);
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

  private void checkNoNonce(BlockPayload block) throws SyncException {
    if (!block.getNonce().isEmpty()) {
      throw SyncException.invalid("%s: block %d carries a nonce but the session is not"
          + " encrypted", lane.describe(), block.getBlockIndex());
    }
  }

  private WriteBehind writer() {
    if (behind == null) {
      // A checksum pass's blocks are few and scattered, and its scan has just read them.
      behind = new WriteBehind(lane.device, "lane-" + lane.lane + "-writer",
          lane.geometry.parameters().getMode() == SyncMode.DELTA);
    }
    return behind;
  }

  /**
   * Zeros blocks {@code [first, first + count)} behind the lane, in order with its blocks:
   * finding what is a hole already asks the file system, which waits for a direct write in
   * progress to the file, and the lane must not wait for the storage.
   */
  void writeZeros(long first, int count) throws SyncException, InterruptedException {
    long offset = lane.geometry.offsetOf(first);
    long end = endOf(first, count);
    try {
      writer().submitZeros(offset, end - offset);
    } catch (IOException e) {
      throw new SyncException(SyncException.Kind.DISK, "zeroing blocks " + first + ".."
          + (first + count - 1) + " (or writing one before them): " + SyncException.reason(e),
          e);
    }
    lane.progress.blocksZero.addAndGet(count);
  }

  /** Writes zeros over blocks {@code [first, first + count)}, counting nothing. */
  void zero(long first, int count) throws SyncException {
    long offset = lane.geometry.offsetOf(first);
    long end = endOf(first, count);
    try {
      lane.device.writeZeroes(offset, end - offset);
    } catch (IOException e) {
      throw new SyncException(SyncException.Kind.DISK, "zeroing blocks " + first + ".."
          + (first + count - 1) + ": " + SyncException.reason(e), e);
    }
  }

  /** The byte after blocks {@code [first, first + count)}; the disk's last block may be short. */
  private long endOf(long first, int count) {
    return Math.min(lane.geometry.offsetOf(first + count),
        lane.geometry.parameters().getDiskSize());
  }

  /**
   * Waits for the blocks handed to the writer to be on the device (a write that failed fails
   * here, on the lane's thread, at the latest at its batch's end), then returns a ticket for
   * them to wait on with {@link #awaitDurable}.
   */
  long ticket() throws SyncException, InterruptedException {
    if (behind != null) {
      try {
        behind.awaitWritten(behind.submitted());
      } catch (IOException e) {
        throw new SyncException(SyncException.Kind.DISK, "writing: " + SyncException.reason(e),
            e);
      }
    }
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

  /** Stops the writer: blocks not yet begun are dropped, the one in progress completes. */
  @Override
  public void close() {
    if (behind != null) {
      behind.close();
    }
  }
}
