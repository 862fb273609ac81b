package io.failback.common.nbd;

import static com.google.common.base.Preconditions.checkArgument;

import io.failback.common.disk.BlockDevice;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * An NBD export as a {@link BlockDevice}: requests split at the server's maximum size, and
 * {@link #isKnownZero} answered from {@code base:allocation} when that context was negotiated.
 *
 * <p>Threading: safe for use from several threads (the client sends one request at a time).
 */
public final class NbdBlockDevice implements BlockDevice {
  public static final String BASE_ALLOCATION = "base:allocation";
  private static final int SECTOR = 512;
  // WRITE_ZEROES carries no payload, so it is not bound by the maximum request size.
  private static final int ZEROES_CHUNK = 1 << 30;

  /** How far ahead of a probe a read-only export's extents are asked for. */
  static final long LOOKAHEAD = 256L << 20;

  private final NbdClient client;
  private final boolean writable;
  private final Closeable owner;
  private final KnownExtents known = new KnownExtents();

  /**
   * A device over {@code client}, writable only if both asked and the export allows it; closing
   * it closes the client, then {@code owner} (e.g. the process serving the export).
   */
  public NbdBlockDevice(NbdClient client, boolean writable, Closeable owner) {
    this.client = client;
    this.writable = writable && !client.readOnly();
    this.owner = owner;
  }

  public NbdClient client() {
    return client;
  }

  @Override
  public long size() {
    return client.size();
  }

  @Override
  public int logicalSectorSize() {
    return SECTOR;
  }

  @Override
  public boolean writable() {
    return writable;
  }

  @Override
  public void read(long offset, ByteBuffer dst) throws IOException {
    checkRange(offset, dst.remaining());
    long position = offset;
    while (dst.hasRemaining()) {
      int length = Math.min(dst.remaining(), client.maximumRequest());
      ByteBuffer part = dst.duplicate().limit(dst.position() + length);
      client.read(position, part);
      dst.position(dst.position() + length);
      position += length;
    }
  }

  @Override
  public void write(long offset, ByteBuffer src) throws IOException {
    checkRange(offset, src.remaining());
    checkWritable();
    long position = offset;
    while (src.hasRemaining()) {
      int length = Math.min(src.remaining(), client.maximumRequest());
      ByteBuffer part = src.duplicate().limit(src.position() + length);
      client.write(position, part);
      src.position(src.position() + length);
      position += length;
    }
  }

  @Override
  public void writeZeroes(long offset, long length) throws IOException {
    checkRange(offset, length);
    checkWritable();
    for (long done = 0; done < length; ) {
      int part = (int) Math.min(length - done, ZEROES_CHUNK);
      client.writeZeroes(offset + done, part);
      done += part;
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>A read-only export does not change under its reader (a point-in-time view, or the disk
   * of a VM that is off, locked by the process serving it): its extents are asked for
   * {@link #LOOKAHEAD} bytes ahead and kept, so the lanes' probe of each 1 MiB chunk is not a
   * round trip each on the connection their reads share. A writable one asks every time.
   */
  @Override
  public boolean isKnownZero(long offset, long length) throws IOException {
    checkRange(offset, length);
    if (!client.hasContext(BASE_ALLOCATION)) {
      return false;
    }
    long end = offset + length;
    long position = offset;
    while (position < end) {
      NbdExtent extent = writable ? null : known.covering(position);
      if (extent == null) {
        long ask = writable ? end - position : Math.max(end - position, LOOKAHEAD);
        List<NbdExtent> extents = client.blockStatus(BASE_ALLOCATION, position,
            (int) Math.min(Math.min(ask, size() - position), Integer.MAX_VALUE & ~(SECTOR - 1)));
        if (!writable) {
          known.add(extents);
        }
        extent = extents.get(0);
        for (NbdExtent e : extents) {
          if (e.offset() >= end) {
            break;
          }
          if (!e.has(NbdExtent.ALLOCATION_ZERO)) {
            return false;
          }
          extent = e;
        }
      } else if (!extent.has(NbdExtent.ALLOCATION_ZERO)) {
        return false;
      }
      position = extent.end();
    }
    return true;
  }

  @Override
  public void flush() throws IOException {
    client.flush();
  }

  @Override
  public void close() throws IOException {
    try {
      client.close();
    } finally {
      if (owner != null) {
        owner.close();
      }
    }
  }

  private void checkWritable() throws IOException {
    if (!writable) {
      throw new IOException(client + ": opened read-only; cannot write");
    }
  }

  private void checkRange(long offset, long length) {
    checkArgument(offset >= 0 && length >= 0 && offset % SECTOR == 0 && length % SECTOR == 0
        && offset + length <= size(), "range %s+%s is not whole sectors inside %s bytes",
        offset, length, size());
  }

  @Override
  public String toString() {
    return client.toString();
  }
}
