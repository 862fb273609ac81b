package io.failback.common.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.IntPredicate;
import org.junit.jupiter.api.Test;

class CompressionBackoffTest {
  /** Runs {@code blocks} blocks that compress when {@code compresses} says; returns tries. */
  private static int run(CompressionBackoff backoff, int blocks,
      IntPredicate compresses, int from) {
    int tries = 0;
    for (int i = from; i < from + blocks; i++) {
      if (backoff.shouldTry()) {
        tries++;
        backoff.tried(compresses.test(i));
      }
    }
    return tries;
  }

  @Test
  void compressibleBlocksAreAllTried() {
    assertEquals(10_000, run(new CompressionBackoff(), 10_000, i -> true, 0));
  }

  @Test
  void anIncompressibleDiskIsProbedAtGrowingIntervals() {
    // 1 GiB of 64 KiB blocks: 16 tries, then probes after skips of 16, 32, ... 1024, then one
    // probe per 1025 blocks: 16 + 7 probes cover 16 + 2032 + 7 = 2055 blocks; the remaining
    // 14,329 blocks hold 13 more probes (each after a skip of 1024), 36 tries in all.
    assertEquals(36, run(new CompressionBackoff(), 16_384, i -> false, 0));
  }

  @Test
  void aFewIncompressibleBlocksDoNotStopTrying() {
    // Every 10th block compresses: never 16 failures in a row.
    assertEquals(5_000, run(new CompressionBackoff(), 5_000, i -> i % 10 == 0, 0));
  }

  @Test
  void aCompressibleRegionAfterAnIncompressibleOneIsTriedAgainWithinTheLongestSkip() {
    CompressionBackoff backoff = new CompressionBackoff();
    run(backoff, 16_384, i -> false, 0);
    int untried = 0;
    while (!backoff.shouldTry()) {
      untried++;
    }
    backoff.tried(true);
    assertTrue(untried <= CompressionBackoff.MAX_SKIP, "skipped " + untried);
    // Trying every block again from the first that compressed.
    assertEquals(1_000, run(backoff, 1_000, i -> true, 0));
  }
}
