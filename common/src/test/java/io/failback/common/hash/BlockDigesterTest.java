package io.failback.common.hash;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class BlockDigesterTest {
  private static byte[] pattern(int length) {
    byte[] data = new byte[length];
    for (int i = 0; i < length; i++) {
      data[i] = (byte) (i * 31 + 7);
    }
    return data;
  }

  private static String hex(byte[] bytes) {
    return DiskDigest.hex(bytes);
  }

  @Test
  void sha256MatchesFips180KnownAnswers() {
    BlockDigester sha = new BlockDigester(DigestAlgorithm.SHA_256, 42);
    byte[] abc = "xxabcyy".getBytes(StandardCharsets.US_ASCII);
    assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        hex(sha.digest(abc, 2, 3)));
    assertEquals("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        hex(sha.digest(new byte[0], 0, 0)));
    byte[] twoBlocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
        .getBytes(StandardCharsets.US_ASCII);
    assertEquals("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
        hex(sha.digest(ByteBuffer.wrap(twoBlocks))));
  }

  @Test
  void xxh3MatchesReferenceVectorForEmptyInputLowHalfFirst() {
    // xxHash's canonical XXH3_128("", seed 0) is 99aa06d3014798d8 6001c324468d497f (high, low).
    BlockDigester xxh3 = new BlockDigester(DigestAlgorithm.XXH3_128, 0);
    assertEquals("7f498d4624c30160d8984701d306aa99", hex(xxh3.digest(new byte[0], 0, 0)));
  }

  @Test
  void xxh3IsPinnedForAFixedSeed() {
    // Computed once with zero-allocation-hashing 0.16; a change means the wire format changed.
    BlockDigester xxh3 = new BlockDigester(DigestAlgorithm.XXH3_128, 0x5eedL);
    assertEquals("c8cc4626c3f2eb772f27bc6aff35ed9c", hex(xxh3.digest(pattern(4096), 0, 4096)));
  }

  @Test
  void xxh3DependsOnTheSeed() {
    byte[] data = pattern(65536);
    byte[] a = new BlockDigester(DigestAlgorithm.XXH3_128, 1).digest(data, 0, data.length);
    byte[] b = new BlockDigester(DigestAlgorithm.XXH3_128, 2).digest(data, 0, data.length);
    byte[] a2 = new BlockDigester(DigestAlgorithm.XXH3_128, 1).digest(data, 0, data.length);
    assertFalse(Arrays.equals(a, b));
    assertArrayEquals(a, a2);
  }

  @ParameterizedTest
  @EnumSource(DigestAlgorithm.class)
  void heapDirectReadOnlyAndOffsetBuffersAgree(DigestAlgorithm algorithm) {
    BlockDigester digester = new BlockDigester(algorithm, 7);
    byte[] data = pattern(70_000);
    byte[] expected = digester.digest(data, 100, 65536);
    assertEquals(algorithm.digestLength(), expected.length);

    ByteBuffer direct = ByteBuffer.allocateDirect(data.length).put(data);
    direct.position(100).limit(100 + 65536);
    assertArrayEquals(expected, digester.digest(direct));
    assertEquals(100, direct.position());

    ByteBuffer slice = ByteBuffer.wrap(data, 50, 70_000 - 50).slice().position(50).limit(65586);
    assertArrayEquals(expected, digester.digest(slice));
    ByteBuffer readOnly = ByteBuffer.wrap(data, 100, 65536).asReadOnlyBuffer();
    assertArrayEquals(expected, digester.digest(readOnly));
  }

  @ParameterizedTest
  @EnumSource(DigestAlgorithm.class)
  void zeroBlockDigestIsTheDigestOfZerosAndCannotBeCorrupted(DigestAlgorithm algorithm) {
    BlockDigester digester = new BlockDigester(algorithm, 99);
    for (int size : new int[] {0, 4096, 1 << 20}) {
      byte[] zero = digester.zeroBlockDigest(size);
      assertArrayEquals(digester.digest(new byte[size], 0, size), zero);
      zero[0] ^= 1;
      assertFalse(Arrays.equals(zero, digester.zeroBlockDigest(size)));
    }
  }

  @Test
  void rejectsRangesOutsideTheArray() {
    BlockDigester digester = new BlockDigester(DigestAlgorithm.DEFAULT, 0);
    assertThrows(IndexOutOfBoundsException.class, () -> digester.digest(new byte[10], 5, 6));
    assertThrows(IndexOutOfBoundsException.class, () -> digester.digest(new byte[10], -1, 2));
    assertThrows(IllegalArgumentException.class, () -> digester.zeroBlockDigest(-1));
  }

  @ParameterizedTest
  @EnumSource(DigestAlgorithm.class)
  void sharedAcrossThreadsGivesTheSameDigestsAsOneThread(DigestAlgorithm algorithm)
      throws Exception {
    BlockDigester digester = new BlockDigester(algorithm, 3);
    Random random = new Random(5);
    List<byte[]> blocks = new ArrayList<>();
    for (int i = 0; i < 64; i++) {
      byte[] block = new byte[8192 + i];
      random.nextBytes(block);
      blocks.add(block);
    }
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<byte[]>> results = new ArrayList<>();
      for (byte[] block : blocks) {
        results.add(pool.submit(() -> digester.digest(ByteBuffer.allocateDirect(block.length)
            .put(block).flip())));
      }
      for (int i = 0; i < blocks.size(); i++) {
        byte[] block = blocks.get(i);
        assertArrayEquals(digester.digest(block, 0, block.length), results.get(i).get());
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
