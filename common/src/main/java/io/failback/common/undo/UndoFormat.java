package io.failback.common.undo;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The on-disk form of an undo journal: a header, then records, each with its own CRC-32C.
 *
 * <pre>
 * header  "FBUNDO01" | granule u32 | disk size u64 | created (epoch ms) u64 | crc u32
 * record  kind u8 | 0 0 0 | granule index u64 | length u32 | crc u32 | data (DATA only)
 * </pre>
 *
 * <p>Kinds: {@code D} the region's old bytes, {@code Z} the region read as zeros (nothing
 * stored), {@code S} a seal whose index counts the D and Z records before it. A batch of
 * records is followed by a seal and then forced to disk; only then are the regions
 * overwritten. So records after the last seal never had their regions written and are a torn
 * tail to drop, while a damaged record that a later seal vouches for is corruption: the
 * journal can no longer put the disk back, and says so instead of restoring part of it.
 */
public final class UndoFormat {
  public static final int HEADER_BYTES = 32;
  public static final int RECORD_BYTES = 20;
  public static final byte DATA = 'D';
  static final byte ZERO = 'Z';
  static final byte SEAL = 'S';
  private static final byte[] MAGIC = "FBUNDO01".getBytes(StandardCharsets.US_ASCII);

  private UndoFormat() {}

  /** What a journal's header says. */
  record Header(int granule, long diskSize, long createdMillis) {}

  /** One preserved region: its old bytes at {@code dataOffset} in the file, or zeros. */
  record Entry(long granule, int length, boolean zero, long dataOffset) {}

  /** The sealed records of a journal, and where its sealed part ends. */
  record Contents(Header header, List<Entry> entries, long sealedEnd, long tornBytes) {}

  static ByteBuffer header(Header header) {
    ByteBuffer buffer = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    buffer.put(MAGIC).putInt(header.granule()).putLong(header.diskSize())
        .putLong(header.createdMillis());
    buffer.putInt(crc(buffer.array(), 0, HEADER_BYTES - 4, null));
    return buffer.flip();
  }

  /** A record's 20 bytes; {@code data} (DATA only) follows it in the file. */
  public static ByteBuffer record(byte kind, long index, int length, ByteBuffer data) {
    ByteBuffer buffer = ByteBuffer.allocate(RECORD_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    buffer.put(kind).put((byte) 0).put((byte) 0).put((byte) 0).putLong(index).putInt(length);
    buffer.putInt(crc(buffer.array(), 0, RECORD_BYTES - 4, data));
    return buffer.flip();
  }

  /**
   * Reads every sealed record.
   *
   * @throws UndoJournalException if the header or a sealed record is damaged
   */
  static Contents read(FileChannel channel, String name) throws IOException {
    long size = channel.size();
    ByteBuffer head = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    if (size < HEADER_BYTES || readFully(channel, head, 0) < HEADER_BYTES) {
      throw new UndoJournalException(name + " is " + size + " bytes: shorter than its header");
    }
    byte[] magic = new byte[MAGIC.length];
    head.get(0, magic);
    if (!java.util.Arrays.equals(magic, MAGIC)
        || head.getInt(HEADER_BYTES - 4) != crc(head.array(), 0, HEADER_BYTES - 4, null)) {
      throw new UndoJournalException(name + " has a damaged header");
    }
    Header header = new Header(head.getInt(8), head.getLong(12), head.getLong(20));
    List<Entry> entries = new ArrayList<>();
    int sealed = 0;
    long sealedEnd = HEADER_BYTES;
    long position = HEADER_BYTES;
    while (position < size) {
      Parsed parsed = parse(channel, position, size, header.granule());
      if (parsed == null) {
        if (laterSeal(channel, position + 1, size, header.granule(), sealed)) {
          throw new UndoJournalException(name + ": the record at byte " + position
              + " is damaged, and a later seal shows it was relied on");
        }
        break;
      }
      if (parsed.kind == SEAL) {
        if (parsed.index != entries.size()) {
          throw new UndoJournalException(name + ": the seal at byte " + position + " counts "
              + parsed.index + " records, but " + entries.size() + " precede it");
        }
        sealed = entries.size();
        sealedEnd = parsed.end;
      } else {
        entries.add(new Entry(parsed.index, parsed.length, parsed.kind == ZERO,
            position + RECORD_BYTES));
      }
      position = parsed.end;
    }
    return new Contents(header, List.copyOf(entries.subList(0, sealed)), sealedEnd,
        size - sealedEnd);
  }

  private record Parsed(byte kind, long index, int length, long end) {}

  /** The valid record at {@code position}, or null if it is damaged or cut short. */
  private static Parsed parse(FileChannel channel, long position, long size, int granule)
      throws IOException {
    if (size - position < RECORD_BYTES) {
      return null;
    }
    ByteBuffer head = ByteBuffer.allocate(RECORD_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    readFully(channel, head, position);
    byte kind = head.get(0);
    long index = head.getLong(4);
    int length = head.getInt(12);
    boolean known = kind == DATA || kind == ZERO || kind == SEAL;
    if (!known || index < 0 || length < 0 || length > granule
        || (kind == SEAL && length != 0)) {
      return null;
    }
    long dataLength = kind == DATA ? length : 0;
    if (size - position - RECORD_BYTES < dataLength) {
      return null;
    }
    ByteBuffer data = null;
    if (dataLength > 0) {
      data = ByteBuffer.allocate(length);
      readFully(channel, data, position + RECORD_BYTES);
      data.flip();
    }
    if (head.getInt(16) != crc(head.array(), 0, RECORD_BYTES - 4, data)) {
      return null;
    }
    return new Parsed(kind, index, length, position + RECORD_BYTES + dataLength);
  }

  /** Whether a valid seal beyond {@code sealed} records starts anywhere after {@code from}. */
  private static boolean laterSeal(FileChannel channel, long from, long size, int granule,
      int sealed) throws IOException {
    ByteBuffer window = ByteBuffer.allocate(1 << 20);
    for (long base = from; base < size; base += window.capacity() - RECORD_BYTES) {
      window.clear();
      int read = readFully(channel, window, base);
      for (int i = 0; i < read; i++) {
        if (window.get(i) == SEAL) {
          Parsed parsed = parse(channel, base + i, size, granule);
          if (parsed != null && parsed.kind == SEAL && parsed.index > sealed) {
            return true;
          }
        }
      }
      if (read < window.capacity()) {
        break;
      }
    }
    return false;
  }

  static int readFully(FileChannel channel, ByteBuffer buffer, long position)
      throws IOException {
    int total = 0;
    while (buffer.hasRemaining()) {
      int n = channel.read(buffer, position + total);
      if (n < 0) {
        break;
      }
      total += n;
    }
    return total;
  }

  private static int crc(byte[] head, int offset, int length, ByteBuffer data) {
    CRC32C crc = new CRC32C();
    crc.update(head, offset, length);
    if (data != null) {
      crc.update(data.duplicate());
    }
    return (int) crc.getValue();
  }
}
