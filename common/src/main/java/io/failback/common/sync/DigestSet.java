package io.failback.common.sync;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Every block's final digest for one disk, in a file of fixed-size records.
 *
 * <p>It lets a later session prove the whole disk equal while reading only the blocks that
 * changed: the other blocks' digests are the ones recorded here. The header binds the file to
 * the digest algorithm, seed, block size and block count; a session that reads the set refuses
 * any mismatch rather than silently mixing digests of two different functions, and one that
 * records it anew starts it over.
 */
public final class DigestSet implements AutoCloseable {
  private static final int MAGIC = 0x46424453; // "FBDS"
  private static final int HEADER = 64;

  private final Path path;
  private final FileChannel channel;
  private final int digestLength;
  private final long blockCount;

  /** What a digest set must match to be used by a session. */
  public record Shape(String algorithm, long seed, int blockSize, long blockCount,
      int digestLength) {}

  private DigestSet(Path path, FileChannel channel, Shape shape) {
    this.path = path;
    this.channel = channel;
    this.digestLength = shape.digestLength();
    this.blockCount = shape.blockCount();
  }

  /**
   * Opens the set at {@code path}, creating it when absent. One of another shape is refused
   * when {@code mustExist} (a session that reads it) and started over otherwise (a session that
   * records every block).
   */
  public static DigestSet open(Path path, Shape shape, boolean mustExist) throws IOException {
    boolean exists = Files.exists(path);
    if (!exists && mustExist) {
      throw new IOException("digest set " + path + " does not exist; a TRACKED session needs"
          + " the digests recorded by an earlier session of the same disk");
    }
    Files.createDirectories(path.getParent());
    FileChannel channel = FileChannel.open(path, StandardOpenOption.CREATE,
        StandardOpenOption.READ, StandardOpenOption.WRITE);
    try {
      if (!exists || channel.size() == 0) {
        writeHeader(channel, shape);
      } else {
        ByteBuffer header = ByteBuffer.allocate(HEADER).order(ByteOrder.LITTLE_ENDIAN);
        channel.read(header, 0);
        header.flip();
        Shape found = new Shape(null, 0, 0, 0, 0);
        if (header.remaining() == HEADER && header.getInt() == MAGIC) {
          int length = header.getInt();
          long seed = header.getLong();
          int blockSize = header.getInt();
          long blocks = header.getLong();
          byte[] name = new byte[HEADER - header.position()];
          header.get(name);
          found = new Shape(new String(name, java.nio.charset.StandardCharsets.US_ASCII).trim(),
              seed, blockSize, blocks, length);
        }
        if (!found.equals(shape)) {
          if (mustExist) {
            throw new IOException("digest set " + path + " was recorded for " + found
                + ", not for " + shape);
          }
          // A session that records every block anew (another block size, a resized disk):
          // the old digests describe blocks that no longer exist.
          channel.truncate(0);
          writeHeader(channel, shape);
        }
      }
      return new DigestSet(path, channel, shape);
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
  }

  private static void writeHeader(FileChannel channel, Shape shape) throws IOException {
    ByteBuffer header = ByteBuffer.allocate(HEADER).order(ByteOrder.LITTLE_ENDIAN);
    header.putInt(MAGIC).putInt(shape.digestLength()).putLong(shape.seed())
        .putInt(shape.blockSize()).putLong(shape.blockCount())
        .put(pad(shape.algorithm())).flip();
    channel.write(header, 0);
    channel.force(true);
  }

  private static byte[] pad(String algorithm) {
    byte[] name = new byte[HEADER - 28];
    byte[] ascii = algorithm.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    System.arraycopy(ascii, 0, name, 0, Math.min(ascii.length, name.length));
    for (int i = ascii.length; i < name.length; i++) {
      name[i] = ' ';
    }
    return name;
  }

  /** Digests of blocks {@code [first, first + count)}, concatenated. */
  public byte[] read(long first, int count) throws IOException {
    check(first, count);
    ByteBuffer packed = ByteBuffer.allocate(count * digestLength);
    while (packed.hasRemaining()) {
      int n = channel.read(packed, HEADER + first * digestLength + packed.position());
      if (n < 0) {
        // Never written: not recorded. Zero bytes never equal a real digest.
        break;
      }
    }
    return packed.array();
  }

  /** Records digests of blocks {@code [first, first + count)}, concatenated in {@code packed}. */
  public void write(long first, int count, byte[] packed) throws IOException {
    check(first, count);
    ByteBuffer buffer = ByteBuffer.wrap(packed, 0, count * digestLength);
    long at = HEADER + first * digestLength;
    while (buffer.hasRemaining()) {
      at += channel.write(buffer, at);
    }
  }

  /** Makes the recorded digests durable, with the data they describe. */
  public void flush() throws IOException {
    channel.force(false);
  }

  private void check(long first, int count) {
    if (first < 0 || count < 0 || first + count > blockCount) {
      throw new IllegalArgumentException("blocks [" + first + ", +" + count + ") outside "
          + path + " of " + blockCount + " blocks");
    }
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
