package io.failback.common.hash;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class ZeroBlocksTest {
  private static final int SIZE = (1 << 20) + 3;

  @Test
  void emptyAndAllZeroRangesAreZero() {
    assertTrue(ZeroBlocks.isAllZero(new byte[0]));
    assertTrue(ZeroBlocks.isAllZero(new byte[SIZE]));
    assertTrue(ZeroBlocks.isAllZero(ByteBuffer.allocateDirect(SIZE)));
  }

  @Test
  void aNonZeroByteAnywhereIsFound() {
    for (int at : new int[] {0, 65535, 65536, 65537, SIZE - 1}) {
      byte[] data = new byte[SIZE];
      data[at] = 1;
      assertFalse(ZeroBlocks.isAllZero(data), "byte " + at);
      ByteBuffer direct = ByteBuffer.allocateDirect(SIZE).put(at, (byte) 0x80);
      assertFalse(ZeroBlocks.isAllZero(direct), "direct byte " + at);
      assertFalse(ZeroBlocks.isAllZero(ByteBuffer.wrap(data)), "heap byte " + at);
    }
  }

  @Test
  void onlyTheRequestedRangeCounts() {
    byte[] data = new byte[4096];
    data[99] = 1;
    data[200] = 1;
    assertTrue(ZeroBlocks.isAllZero(data, 100, 100));
    assertFalse(ZeroBlocks.isAllZero(data, 100, 101));
    assertFalse(ZeroBlocks.isAllZero(data, 99, 100));

    ByteBuffer direct = ByteBuffer.allocateDirect(4096).put(99, (byte) 1).put(200, (byte) 1);
    assertTrue(ZeroBlocks.isAllZero(direct, 100, 100));
    assertFalse(ZeroBlocks.isAllZero(direct, 100, 101));
    assertEquals(0, direct.position());

    ByteBuffer slice = ByteBuffer.wrap(data, 100, 1000).slice();
    assertTrue(ZeroBlocks.isAllZero(slice, 0, 100));
    assertFalse(ZeroBlocks.isAllZero(slice, 0, 101));
  }

  @Test
  void rangesBeyondTheDataAreRejected() {
    assertThrows(IndexOutOfBoundsException.class, () -> ZeroBlocks.isAllZero(new byte[8], 4, 5));
    ByteBuffer limited = ByteBuffer.allocateDirect(16).limit(8);
    assertThrows(IndexOutOfBoundsException.class, () -> ZeroBlocks.isAllZero(limited, 0, 9));
  }
}
