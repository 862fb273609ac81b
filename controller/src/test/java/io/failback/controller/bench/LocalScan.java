package io.failback.controller.bench;

import io.failback.common.disk.BlockDevice;
import io.failback.common.disk.BlockDevices;
import io.failback.common.hash.BlockDigester;
import io.failback.common.hash.DigestAlgorithm;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/** One side's scan alone: 1 MiB positional reads and a digest per 64 KiB block, 2 threads. */
final class LocalScan {
  private static final int CHUNK = 1 << 20;
  private static final int BLOCK = 64 * 1024;
  private final Path image;

  LocalScan(Path image) {
    this.image = image;
  }

  /** The best of three runs, in 10^9 bytes per second. */
  double gigabytesPerSecond() throws Exception {
    double best = 0;
    for (int run = 0; run < 3; run++) {
      best = Math.max(best, once());
    }
    return best;
  }

  private double once() throws Exception {
    ExecutorService threads = Executors.newFixedThreadPool(2);
    BlockDigester digester = new BlockDigester(DigestAlgorithm.XXH3_128, 1);
    try (BlockDevice device = BlockDevices.open(image, false)) {
      long half = device.size() / 2 / CHUNK * CHUNK;
      long start = System.nanoTime();
      List<Future<Long>> parts = new ArrayList<>();
      for (long[] range : new long[][] {{0, half}, {half, device.size()}}) {
        parts.add(threads.submit(() -> {
          ByteBuffer buffer = ByteBuffer.allocate(CHUNK);
          long sink = 0;
          for (long offset = range[0]; offset < range[1]; offset += CHUNK) {
            buffer.clear().limit((int) Math.min(CHUNK, range[1] - offset));
            device.read(offset, buffer);
            for (int block = 0; block < buffer.limit(); block += BLOCK) {
              sink += digester.digest(buffer.array(), block,
                  Math.min(BLOCK, buffer.limit() - block))[0];
            }
          }
          return sink;
        }));
      }
      for (Future<Long> part : parts) {
        part.get();
      }
      return device.size() / ((System.nanoTime() - start) / 1e9) / 1e9;
    } finally {
      threads.shutdownNow();
    }
  }
}
