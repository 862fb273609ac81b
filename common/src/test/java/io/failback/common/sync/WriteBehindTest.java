package io.failback.common.sync;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.testing.MemoryBlockDevice;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class WriteBehindTest {
  private static final int BLOCK = 65536;

  /** Records each write's range; the first write waits for {@link #release}. */
  private static final class GatedDevice extends MemoryBlockDevice {
    final List<long[]> writes = new ArrayList<>();
    final CountDownLatch started = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);
    volatile long failAt = -1;

    GatedDevice(int blocks) {
      super(filled(blocks * BLOCK), 512, true);
    }

    private static byte[] filled(int length) {
      byte[] bytes = new byte[length];
      Arrays.fill(bytes, (byte) 0xee);
      return bytes;
    }

    @Override
    public void write(long offset, ByteBuffer src) throws IOException {
      started.countDown();
      try {
        release.await(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        throw new IOException(e);
      }
      if (failAt >= offset && failAt < offset + src.remaining()) {
        throw new IOException("No space left on device");
      }
      synchronized (this) {
        writes.add(new long[] {offset, src.remaining()});
      }
      super.write(offset, src);
    }
  }

  private static byte[] block(int value) {
    byte[] bytes = new byte[BLOCK];
    Arrays.fill(bytes, (byte) value);
    return bytes;
  }

  @Test
  void blocksQueuedBehindAWriteAreJoinedIntoOneWriteInOrder() throws Exception {
    GatedDevice device = new GatedDevice(64);
    try (WriteBehind behind = new WriteBehind(device, "test-writer", false)) {
      behind.submit(0, block(1), 0, BLOCK);
      assertTrue(device.started.await(10, TimeUnit.SECONDS));
      // The writer is busy with block 0: the next blocks (16 of them, 1 MiB) wait, and one
      // further block that does not follow on.
      for (int i = 1; i <= 16; i++) {
        behind.submit((long) i * BLOCK, block(i + 1), 0, BLOCK);
      }
      long last = behind.submit(40L * BLOCK, block(99), 0, BLOCK);
      device.release.countDown();
      behind.awaitWritten(last);
      assertEquals(List.of("0+" + BLOCK, BLOCK + "+" + WriteBehind.RUN_BYTES,
          40L * BLOCK + "+" + BLOCK), device.writes.stream().map(w -> w[0] + "+" + w[1])
          .toList());
      for (int i = 0; i <= 16; i++) {
        assertArrayEquals(block(i + 1), Arrays.copyOfRange(device.contents(), i * BLOCK,
            (i + 1) * BLOCK), "block " + i);
      }
      assertArrayEquals(block(99), Arrays.copyOfRange(device.contents(), 40 * BLOCK,
          41 * BLOCK));
    }
  }

  @Test
  void aFailedWriteFailsTheWaitAndTheNextHandOver() throws Exception {
    GatedDevice device = new GatedDevice(8);
    device.failAt = 2L * BLOCK;
    device.release.countDown();
    try (WriteBehind behind = new WriteBehind(device, "test-writer", false)) {
      behind.submit(0, block(1), 0, BLOCK);
      behind.submit(BLOCK, block(2), 0, BLOCK);
      long failing = behind.submit(2L * BLOCK, block(3), 0, BLOCK);
      IOException e = assertThrows(IOException.class, () -> behind.awaitWritten(failing));
      assertTrue(e.getMessage().contains("No space left on device"), e.getMessage());
      assertThrows(IOException.class, () -> behind.submit(3L * BLOCK, block(4), 0, BLOCK));
    }
  }

  @Test
  void aChecksumPassesWriterWritesThroughTheCacheAndAFullCopysDoesNot() throws Exception {
    for (boolean throughCache : new boolean[] {true, false}) {
      List<String> calls = new CopyOnWriteArrayList<>();
      MemoryBlockDevice device = new MemoryBlockDevice(new byte[4 * BLOCK], 512, true) {
        @Override
        public void write(long offset, ByteBuffer src) throws IOException {
          calls.add("write");
          super.write(offset, src);
        }

        @Override
        public void writeThroughCache(long offset, ByteBuffer src) throws IOException {
          calls.add("through the cache");
          super.write(offset, src);
        }
      };
      try (WriteBehind behind = new WriteBehind(device, "test-writer", throughCache)) {
        behind.awaitWritten(behind.submit(2L * BLOCK, block(7), 0, BLOCK));
      }
      assertEquals(List.of(throughCache ? "through the cache" : "write"), calls);
      assertArrayEquals(block(7), Arrays.copyOfRange(device.contents(), 2 * BLOCK, 3 * BLOCK));
    }
  }

  @Test
  void closingDropsWhatWaitsAndLetsTheWriteInProgressEnd() throws Exception {
    GatedDevice device = new GatedDevice(8);
    WriteBehind behind = new WriteBehind(device, "test-writer", false);
    behind.submit(0, block(1), 0, BLOCK);
    assertTrue(device.started.await(10, TimeUnit.SECONDS));
    behind.submit(4L * BLOCK, block(2), 0, BLOCK);
    Thread closer = new Thread(behind::close);
    closer.start();
    Thread.sleep(100);
    assertTrue(closer.isAlive(), "close returned while a write was in progress");
    device.release.countDown();
    closer.join(10_000);
    assertEquals(1, device.writes.size(), "a block waiting behind was written after close");
    assertArrayEquals(block(1), Arrays.copyOfRange(device.contents(), 0, BLOCK));
  }

  @Test
  void zeroRangesAreWrittenInOrderWithTheBlocksAroundThem() throws Exception {
    GatedDevice device = new GatedDevice(4);
    device.release.countDown();
    try (WriteBehind behind = new WriteBehind(device, "test-writer", false)) {
      behind.submit(0, block(1), 0, BLOCK);
      behind.submitZeros(0, BLOCK);
      behind.submit(BLOCK, block(2), 0, BLOCK);
      behind.submitZeros(2L * BLOCK, 2L * BLOCK);
      behind.awaitWritten(behind.submitted());
    }
    assertArrayEquals(new byte[BLOCK], Arrays.copyOfRange(device.contents(), 0, BLOCK));
    assertArrayEquals(block(2), Arrays.copyOfRange(device.contents(), BLOCK, 2 * BLOCK));
    assertArrayEquals(new byte[2 * BLOCK], Arrays.copyOfRange(device.contents(), 2 * BLOCK,
        4 * BLOCK));
  }
}
