package io.failback.common.disk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * A disk is shared (a guest writes while a sync reads it): a reader that is interrupted (a
 * cancelled job) fails alone, and the disk stays open for everyone else. A plain JDK file
 * channel closes itself for all its users instead.
 */
class InterruptedReaderTest {
  private static final int MIB = 1 << 20;
  @TempDir Path dir;

  @ParameterizedTest
  @ValueSource(strings = {"vhdx", "raw"})
  void anInterruptedReaderDoesNotCloseTheDiskForTheOthers(String format) throws Exception {
    Path path = dir.resolve("disk." + format);
    try (BlockDevice created = format.equals("vhdx")
        ? BlockDevices.createDynamicVhdx(path, 8L * MIB, MIB, 512)
        : BlockDevices.createRawSparse(path, 8L * MIB)) {
      DiskTesting.write(created, 0, DiskTesting.filled(65536, 7));
      created.flush();
    }
    try (BlockDevice shared = BlockDevices.open(path, true)) {
      CompletableFuture<Throwable> reader = CompletableFuture.supplyAsync(() -> {
        Thread.currentThread().interrupt(); // cancelled just as it reads
        try {
          shared.read(0, ByteBuffer.allocate(65536));
          return null;
        } catch (IOException e) {
          return e;
        } finally {
          Thread.interrupted();
        }
      });
      Throwable failure = reader.get(10, TimeUnit.SECONDS);
      assertTrue(failure instanceof ClosedByInterruptException, String.valueOf(failure));

      // The guest, on its own thread, reads and writes on.
      DiskTesting.write(shared, 2L * MIB, DiskTesting.filled(4096, 9));
      assertArrayEquals(DiskTesting.filled(65536, 7), DiskTesting.read(shared, 0, 65536));
      assertArrayEquals(DiskTesting.filled(4096, 9), DiskTesting.read(shared, 2L * MIB, 4096));
      shared.flush();
    }
    try (BlockDevice reopened = BlockDevices.open(path, false)) {
      assertArrayEquals(DiskTesting.filled(4096, 9), DiskTesting.read(reopened, 2L * MIB, 4096));
    }
  }

  @Test
  void closingTheDiskStillClosesIt() throws Exception {
    Path path = dir.resolve("disk.raw");
    BlockDevices.createRawSparse(path, 8L * MIB).close();
    BlockDevice device = BlockDevices.open(path, false);
    device.close();
    assertThrows(ClosedChannelException.class, () -> device.read(0, ByteBuffer.allocate(512)));
  }
}
