package io.failback.common.undo;

import io.failback.common.disk.DurableFiles;
import io.failback.common.undo.UndoFormat.Contents;
import io.failback.common.undo.UndoFormat.Entry;
import io.failback.common.undo.UndoFormat.Header;
import io.failback.common.disk.BlockDevice;
import io.failback.proto.v1.DiskRollback;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.List;
import java.util.TreeSet;

/**
 * The undo journal of one disk: before a region is first overwritten, its old bytes are
 * appended here and forced to disk; {@link #rollback} writes them back.
 *
 * <p>Regions are {@link #GRANULE} bytes, whatever block size a sync uses: a region is preserved
 * whole on its first write and never again, so the journal holds exactly the disk as it was
 * before the failback, however many sessions (phase 1, phase 2, re-runs) write it. Its size is
 * bounded by what the failback overwrites; regions that read as zeros cost a record header.
 */
public final class UndoJournal implements Closeable {
  /** Bytes per preserved region: the smallest block size a sync uses. */
  public static final int GRANULE = 64 * 1024;

  private final Path file;
  private final FileChannel channel;
  private final Header header;
  private final BitSet preserved = new BitSet();
  private final List<Entry> entries;
  private long end;

  private UndoJournal(Path file, FileChannel channel, Header header, List<Entry> entries,
      long end) {
    this.file = file;
    this.channel = channel;
    this.header = header;
    this.entries = new ArrayList<>(entries);
    this.end = end;
    entries.forEach(e -> preserved.set(Math.toIntExact(e.granule())));
  }

  /**
   * Opens the journal of a disk of {@code diskSize} bytes for writing, creating it (durably,
   * folder entry included) if there is none; a torn tail left by a crash is cut off.
   */
  public static UndoJournal openForWrite(Path file, long diskSize, long nowMillis)
      throws IOException {
    if (!Files.exists(file)) {
      Path temp = file.resolveSibling(file.getFileName() + ".new");
      try (FileChannel created = FileChannel.open(temp, StandardOpenOption.CREATE,
          StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
        created.write(UndoFormat.header(new Header(GRANULE, diskSize, nowMillis)), 0);
        created.force(true);
      }
      Files.move(temp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
      DurableFiles.syncDirectory(file.getParent());
    }
    FileChannel channel = FileChannel.open(file, StandardOpenOption.READ,
        StandardOpenOption.WRITE);
    try {
      Contents contents = check(UndoFormat.read(channel, file.toString()), diskSize, file);
      if (contents.tornBytes() > 0) {
        channel.truncate(contents.sealedEnd());
        channel.force(true);
      }
      return new UndoJournal(file, channel, contents.header(), contents.entries(),
          contents.sealedEnd());
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
  }

  /** Opens an existing journal to roll back from; nothing is changed until {@link #rollback}. */
  public static UndoJournal openForRollback(Path file, long diskSize) throws IOException {
    if (!Files.exists(file)) {
      throw new UndoJournalException("undo journal " + file + " is missing");
    }
    FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
    try {
      Contents contents = check(UndoFormat.read(channel, file.toString()), diskSize, file);
      return new UndoJournal(file, channel, contents.header(), contents.entries(),
          contents.sealedEnd());
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
  }

  private static Contents check(Contents contents, long diskSize, Path file)
      throws UndoJournalException {
    Header header = contents.header();
    if (header.granule() != GRANULE || header.diskSize() != diskSize) {
      throw new UndoJournalException(file + " was made for a disk of " + header.diskSize()
          + " bytes in regions of " + header.granule() + "; the disk has " + diskSize
          + " bytes now");
    }
    for (Entry entry : contents.entries()) {
      if (entry.granule() * GRANULE >= diskSize || entry.length() != Math.min(GRANULE,
          diskSize - entry.granule() * GRANULE)) {
        throw new UndoJournalException(file + " holds a region (" + entry.granule()
            + ", " + entry.length() + " bytes) that the disk does not have");
      }
    }
    return contents;
  }

  /**
   * Preserves every region of the given ranges not preserved yet, reading them from {@code
   * device}, in one forced append; returns once the old bytes are on stable storage.
   */
  public synchronized void preserve(BlockDevice device, long[] offsets, long[] lengths)
      throws IOException {
    TreeSet<Long> todo = new TreeSet<>();
    for (int i = 0; i < offsets.length; i++) {
      if (lengths[i] <= 0) {
        continue;
      }
      long first = offsets[i] / GRANULE;
      long last = (offsets[i] + lengths[i] - 1) / GRANULE;
      for (long g = first; g <= last; g++) {
        if (!preserved.get(Math.toIntExact(g))) {
          todo.add(g);
        }
      }
    }
    if (todo.isEmpty()) {
      return;
    }
    ByteBuffer data = ByteBuffer.allocate(GRANULE);
    List<Entry> added = new ArrayList<>();
    long position = end;
    for (long granule : todo) {
      long offset = granule * GRANULE;
      int length = (int) Math.min(GRANULE, device.size() - offset);
      boolean zero = device.isKnownZero(offset, length);
      if (!zero) {
        data.clear().limit(length);
        device.read(offset, data);
        data.flip();
        zero = allZero(data);
      }
      ByteBuffer record = UndoFormat.record(zero ? UndoFormat.ZERO : UndoFormat.DATA, granule,
          length, zero ? null : data);
      position += writeFully(record, position);
      added.add(new Entry(granule, length, zero, position));
      if (!zero) {
        position += writeFully(data.duplicate(), position);
      }
    }
    int count = entries.size() + added.size();
    position += writeFully(UndoFormat.record(UndoFormat.SEAL, count, 0, null), position);
    // The old bytes and their seal are durable before the first of these regions changes.
    channel.force(false);
    end = position;
    entries.addAll(added);
    added.forEach(e -> preserved.set(Math.toIntExact(e.granule())));
  }

  /** Writes every preserved region back into {@code device} and flushes it. */
  public synchronized DiskRollback rollback(BlockDevice device, String diskPath)
      throws IOException {
    if (device.size() != header.diskSize()) {
      throw new UndoJournalException(file + " was made for " + header.diskSize() + " bytes;"
          + " the disk has " + device.size());
    }
    List<Entry> ordered = new ArrayList<>(entries);
    ordered.sort(Comparator.comparingLong(Entry::granule));
    ByteBuffer data = ByteBuffer.allocate(GRANULE);
    long bytes = 0;
    long zeros = 0;
    for (int i = 0; i < ordered.size(); ) {
      Entry entry = ordered.get(i);
      long offset = entry.granule() * GRANULE;
      if (entry.zero()) {
        // Adjacent zero regions go back as one range: a whole VHDX block is deallocated again.
        int j = i;
        long length = 0;
        while (j < ordered.size() && ordered.get(j).zero()
            && ordered.get(j).granule() == entry.granule() + (j - i)) {
          length += ordered.get(j).length();
          j++;
        }
        device.writeZeroes(offset, length);
        zeros += j - i;
        bytes += length;
        i = j;
        continue;
      }
      data.clear().limit(entry.length());
      if (UndoFormat.readFully(channel, data, entry.dataOffset()) != entry.length()) {
        throw new UndoJournalException(file + " ends inside the region at " + offset);
      }
      data.flip();
      device.write(offset, data);
      bytes += entry.length();
      i++;
    }
    device.flush();
    return DiskRollback.newBuilder().setDiskPath(diskPath).setRegionsRestored(entries.size())
        .setRegionsZero(zeros).setBytesRestored(bytes).setUndoGranuleBytes(GRANULE).build();
  }

  /** What {@link #rollback} would put back into a disk, counted without writing anything. */
  public synchronized DiskRollback planned(String diskPath) {
    long bytes = entries.stream().mapToLong(Entry::length).sum();
    long zeros = entries.stream().filter(Entry::zero).count();
    return DiskRollback.newBuilder().setDiskPath(diskPath).setRegionsRestored(entries.size())
        .setRegionsZero(zeros).setBytesRestored(bytes).setUndoGranuleBytes(GRANULE).build();
  }

  /** Regions preserved so far. */
  public synchronized int regions() {
    return entries.size();
  }

  /** The journal's size on disk. */
  public synchronized long bytes() {
    return end;
  }

  public Path file() {
    return file;
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }

  private int writeFully(ByteBuffer buffer, long position) throws IOException {
    int total = 0;
    while (buffer.hasRemaining()) {
      total += channel.write(buffer, position + total);
    }
    return total;
  }

  private static boolean allZero(ByteBuffer data) {
    for (int i = data.position(); i < data.limit(); i++) {
      if (data.get(i) != 0) {
        return false;
      }
    }
    return true;
  }
}
