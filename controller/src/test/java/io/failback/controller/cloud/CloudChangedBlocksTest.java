package io.failback.controller.cloud;

import static io.failback.controller.cloud.ChunkStore.CHUNK;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The chunk bitmap as blocks of every allowed size, and the chunk map's persistence. */
class CloudChangedBlocksTest {
  private static final int KIB = 1024;

  @TempDir Path dir;

  private ChunkStore store(long diskSize, long... changedChunks) throws Exception {
    CleanMarker marker = new CleanMarker(dir.resolve("clean"));
    ChunkStore store =
        ChunkStore.create(dir.resolve("s.store"), dir.resolve("s.map"), diskSize, marker, true);
    for (long chunk : changedChunks) {
      int length = (int) Math.min(CHUNK, diskSize - chunk * CHUNK);
      store.preserve(chunk, chunk % 2 == 0 ? null : ByteBuffer.allocate(length));
    }
    return store;
  }

  @Test
  void blocksSmallerThanAChunkAllCountInAChangedChunk() throws Exception {
    ChunkStore store = store(1024L * KIB, 0, 5);
    assertArrayEquals(
        new long[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 80, 81, 82, 83, 84, 85,
            86, 87, 88, 89, 90, 91, 92, 93, 94, 95},
        ChangedBlocks.of(store, 4 * KIB));
    assertArrayEquals(new long[] {0, 1, 10, 11}, ChangedBlocks.of(store, 32 * KIB));
    store.close();
  }

  @Test
  void blocksLargerThanAChunkCountIfAnyOfTheirChunksChanged() throws Exception {
    ChunkStore store = store(8L * 1024 * KIB, 0, 5, 16, 17, 127);
    assertArrayEquals(new long[] {0, 5, 16, 17, 127}, ChangedBlocks.of(store, CHUNK));
    assertArrayEquals(new long[] {0, 1, 7}, ChangedBlocks.of(store, 1024 * KIB));
    assertArrayEquals(new long[] {0, 3}, ChangedBlocks.of(store, 2048 * KIB));
    assertArrayEquals(new long[] {0}, ChangedBlocks.of(store, 8192 * KIB));
    assertArrayEquals(new long[] {0}, ChangedBlocks.of(store, 64 * 1024 * KIB));
    store.close();
  }

  @Test
  void aTrailingPartialChunkOrBlockIsClipped() throws Exception {
    long size = 1024L * KIB + 12 * KIB; // chunk 16 is 12 KiB long
    ChunkStore store = store(size, 16);
    assertArrayEquals(new long[] {256, 257, 258}, ChangedBlocks.of(store, 4 * KIB));
    assertArrayEquals(new long[] {16}, ChangedBlocks.of(store, CHUNK));
    assertArrayEquals(new long[] {1}, ChangedBlocks.of(store, 1024 * KIB));
    store.close();
  }

  @Test
  void onlyPowersOfTwoOfAtLeast4KiBAreValid() {
    assertTrue(ChangedBlocks.isValidBlockSize(4096));
    assertTrue(ChangedBlocks.isValidBlockSize(1 << 30));
    assertFalse(ChangedBlocks.isValidBlockSize(2048));
    assertFalse(ChangedBlocks.isValidBlockSize(12288));
    assertFalse(ChangedBlocks.isValidBlockSize(-4096));
  }

  @Test
  void aPersistedMapLoadsBackAndADamagedOneIsRejected() throws Exception {
    ChunkStore store = store(4096L * KIB, 1, 2, 63);
    store.persist();
    store.close();
    CleanMarker marker = new CleanMarker(dir.resolve("clean"));
    ChunkStore loaded =
        ChunkStore.load(dir.resolve("s.store"), dir.resolve("s.map"), 4096L * KIB, marker, true);
    assertArrayEquals(new long[] {1, 2, 63}, ChangedBlocks.of(loaded, CHUNK));
    ByteBuffer bytes = ByteBuffer.allocate(CHUNK);
    assertTrue(loaded.readPreserved(1, 0, bytes));
    assertFalse(loaded.readPreserved(3, 0, ByteBuffer.allocate(512)));
    loaded.close();

    byte[] map = Files.readAllBytes(dir.resolve("s.map"));
    map[30] ^= 1;
    Files.write(dir.resolve("s.map"), map);
    assertThrows(
        IOException.class,
        () -> ChunkStore.load(dir.resolve("s.store"), dir.resolve("s.map"), 4096L * KIB, marker,
            true));
  }
}
