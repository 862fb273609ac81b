package io.failback.common.disk;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.UUID;

/**
 * The header update MS-VHDX 2.2.2.1 requires before the first write after a file is opened: the
 * non-current header slot gets the current header with SequenceNumber + 1 and new FileWriteGuid and
 * DataWriteGuid, and is made durable before any data or BAT entry changes.
 *
 * <p>New GUIDs tell Hyper-V (and a differencing child, whose parent locator records the
 * DataWriteGuid) that the data changed. Writing the other slot means a torn header write leaves the
 * old, valid header current. Threading: the first caller performs the update, the others wait for
 * it.
 */
final class VhdxHeaderUpdate {
  private static final int SEQUENCE_NUMBER = 8;
  private static final int FILE_WRITE_GUID = 16;
  private static final int DATA_WRITE_GUID = 32;

  private final FileChannel channel;
  private final ByteBuffer current;
  private final int currentSlot;
  private volatile boolean done;

  VhdxHeaderUpdate(FileChannel channel, VhdxReader.Layout layout) {
    this.channel = channel;
    this.current = layout.header();
    this.currentSlot = layout.currentHeader();
  }

  /** Performs the update unless this device already did. */
  void beforeFirstWrite() throws IOException {
    if (done) {
      return;
    }
    synchronized (this) {
      if (done) {
        return;
      }
      ByteBuffer next = VhdxFormat.allocate(VhdxFormat.HEADER_SIZE);
      next.put(current.duplicate().clear()).clear();
      next.putLong(SEQUENCE_NUMBER, current.getLong(SEQUENCE_NUMBER) + 1);
      VhdxFormat.putGuid(next, FILE_WRITE_GUID, UUID.randomUUID());
      VhdxFormat.putGuid(next, DATA_WRITE_GUID, UUID.randomUUID());
      VhdxFormat.sealChecksum(next);
      DeviceIo.writeFully(channel, next, VhdxFormat.HEADER_OFFSETS[1 - currentSlot]);
      channel.force(true);
      // Set only once durable: after a failure the next write tries again.
      done = true;
    }
  }
}
