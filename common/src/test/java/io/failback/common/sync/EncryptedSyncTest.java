package io.failback.common.sync;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.failback.certs.EncryptionCertificates;
import io.failback.common.crypto.JobKey;
import io.failback.common.crypto.KeyCheck;
import io.failback.common.crypto.KeyWrapper;
import io.failback.common.testing.MemoryBlockDevice;
import io.failback.common.testing.MemoryTransport;
import io.failback.proto.v1.DigestAlgorithm;
import io.failback.proto.v1.PayloadEncryption;
import io.failback.proto.v1.SyncFrame;
import io.failback.proto.v1.SyncMode;
import io.failback.proto.v1.SyncParameters;
import java.time.Clock;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Sessions whose block payloads are sealed under a job key wrapped for the target. */
class EncryptedSyncTest {
  private static final int BLOCK = 4096;
  private static EncryptionCertificates.Issued targetCertificate;

  private final JobKey sourceKey = JobKey.generate("job-7");

  @BeforeAll
  static void certificate() {
    targetCertificate = EncryptionCertificates.create("hv01", Duration.ofDays(1),
        Clock.systemUTC());
  }

  @ParameterizedTest
  @EnumSource(value = SyncMode.class, names = {"FULL", "DELTA"})
  void targetOpensWithTheUnwrappedKeyAndNoPlaintextCrosses(SyncMode mode) throws Throwable {
    byte[] source = image(96, 1);
    byte[] target = new byte[source.length];
    SyncParameters parameters = parameters(mode, source.length);
    JobKey targetKey = KeyWrapper.unwrap(parameters.getEncryption().getWrappedKey()
        .toByteArray(), targetCertificate.keyPair().getPrivate(), "job-7");
    MemoryBlockDevice targetDisk = new MemoryBlockDevice(target, 512, true);
    MemoryTransport transport = MemoryTransport.reliable();
    SyncHarness harness = new SyncHarness();
    harness.run(parameters, new MemoryBlockDevice(source.clone(), 512, false), targetDisk,
        transport, new DiskSync.Options(null, null, sourceKey),
        new DiskSync.Options(null, null, targetKey));

    assertArrayEquals(source, targetDisk.contents());
    assertEquals(harness.sourceResult.diskDigestHex(), harness.targetResult.diskDigestHex());
    long blocks = transport.delivered.stream().filter(SyncFrame::hasBlock).count();
    assertTrue(blocks > 0, "no block crossed; the test proves nothing");
    for (SyncFrame frame : transport.delivered) {
      if (frame.hasBlock()) {
        assertEquals(12, frame.getBlock().getNonce().size());
        int at = (int) frame.getBlock().getBlockIndex() * BLOCK;
        ByteString plain = ByteString.copyFrom(source, at + 64, 32);
        assertFalse(contains(frame.getBlock().getData(), plain),
            "block " + frame.getBlock().getBlockIndex() + " crossed in plaintext");
      }
    }
  }

  @Test
  void changedCiphertextFailsBeforeAnyWrite() {
    SyncException e = failedRun(firstBlock(frame -> {
      byte[] data = frame.getBlock().getData().toByteArray();
      data[10] ^= 0x01;
      return withBlock(frame, frame.getBlock().toBuilder().setData(ByteString.copyFrom(data)));
    }), sourceKey);
    assertEquals(SyncException.Kind.DATA_LOSS, e.kind());
    assertTrue(e.getMessage().contains("does not authenticate"), e.getMessage());
  }

  @Test
  void blockReplayedAtAnotherIndexFailsBeforeAnyWrite() {
    // Block 0's sealed payload presented as block 1: the same batch accepts index 1, the tag
    // does not.
    SyncException e = failedRun(firstBlock(frame -> withBlock(frame,
        frame.getBlock().toBuilder().setBlockIndex(1))), sourceKey);
    assertEquals(SyncException.Kind.DATA_LOSS, e.kind());
  }

  @Test
  void targetWithAnotherKeyRefusesBeforeAnyWrite() {
    // A key that unwrapped fine but is not the source's: the key check stops it before the
    // zero ranges, which carry nothing to authenticate, could be applied.
    SyncException e = failedRun(UnaryOperator.identity(), JobKey.generate("job-7"));
    assertEquals(SyncException.Kind.FAILED_PRECONDITION, e.kind());
    assertTrue(e.getMessage().contains("does not match the session's key check"),
        e.getMessage());
  }

  @Test
  void sidesMustAgreeOnEncryption() {
    byte[] source = image(8, 2);
    SyncParameters encrypted = parameters(SyncMode.FULL, source.length);
    SyncException noKey = assertThrows(SyncException.class, () -> new SyncHarness().run(
        encrypted, new MemoryBlockDevice(source, 512, false),
        new MemoryBlockDevice(new byte[source.length], 512, true), MemoryTransport.reliable(),
        new DiskSync.Options(null, null, sourceKey), DiskSync.Options.NONE));
    assertTrue(noKey.getMessage().contains("has no payload key"), noKey.getMessage());
    SyncException otherJob = assertThrows(SyncException.class, () -> new SyncHarness().run(
        encrypted, new MemoryBlockDevice(source, 512, false),
        new MemoryBlockDevice(new byte[source.length], 512, true), MemoryTransport.reliable(),
        new DiskSync.Options(null, null, JobKey.generate("job-8")), DiskSync.Options.NONE));
    assertTrue(otherJob.getMessage().contains("encrypted under key 'job-7'"),
        otherJob.getMessage());
  }

  /** Runs a FULL session whose target holds {@code targetKey}; asserts nothing was written. */
  private SyncException failedRun(UnaryOperator<SyncFrame> tamper, JobKey targetKey) {
    byte[] source = image(64, 3);
    byte[] before = image(64, 4);
    MemoryBlockDevice target = new MemoryBlockDevice(before.clone(), 512, true);
    MemoryTransport transport = MemoryTransport.reliable();
    transport.tamper(tamper);
    // One lane, so that the tampered payload is the first the target gets.
    SyncParameters oneLane = parameters(SyncMode.FULL, source.length).toBuilder()
        .setLaneCount(1).build();
    SyncException e = assertThrows(SyncException.class, () -> new SyncHarness().run(
        oneLane, new MemoryBlockDevice(source, 512, false),
        target, transport, new DiskSync.Options(null, null, sourceKey),
        new DiskSync.Options(null, null, targetKey)));
    assertEquals(0, target.bytesWritten.get(), "a payload that did not open reached the disk");
    assertArrayEquals(before, target.contents());
    return e;
  }

  private SyncParameters parameters(SyncMode mode, int size) {
    try {
      return SyncParameters.newBuilder().setSessionId("enc-d0").setMode(mode)
          .setDigestAlgorithm(DigestAlgorithm.XXH3_128).setDigestSeed(9).setBlockSize(BLOCK)
          .setBlocksPerBatch(4).setDiskSize(size).setLaneCount(2).setWindowBatches(2)
          .setCompress(true)
          .setEncryption(PayloadEncryption.newBuilder().setKeyId("job-7")
              .setCertificateThumbprint(targetCertificate.thumbprint())
              .setWrappedKey(ByteString.copyFrom(KeyWrapper.wrap(sourceKey,
                  targetCertificate.certificate().getPublicKey())))
              .setKeyCheck(ByteString.copyFrom(KeyCheck.of(sourceKey))))
          .build();
    } catch (java.security.GeneralSecurityException e) {
      throw new AssertionError(e);
    }
  }

  /** Random blocks, every fourth one all zeros, and one compressible block in eight. */
  private static byte[] image(int blocks, long seed) {
    byte[] data = new byte[blocks * BLOCK];
    Random random = new Random(seed);
    for (int b = 0; b < blocks; b++) {
      if (b % 4 == 3) {
        continue;
      }
      byte[] chunk = new byte[BLOCK];
      random.nextBytes(chunk);
      if (b % 8 == 1) {
        java.util.Arrays.fill(chunk, 256, BLOCK, (byte) 'x'); // LZ4 pays: sealed compressed
      }
      System.arraycopy(chunk, 0, data, b * BLOCK, BLOCK);
    }
    return data;
  }

  private static UnaryOperator<SyncFrame> firstBlock(UnaryOperator<SyncFrame> change) {
    AtomicBoolean done = new AtomicBoolean();
    return frame -> frame.hasBlock() && done.compareAndSet(false, true) ? change.apply(frame)
        : frame;
  }

  private static SyncFrame withBlock(SyncFrame frame,
      io.failback.proto.v1.BlockPayload.Builder block) {
    return frame.toBuilder().setBlock(block).build();
  }

  private static boolean contains(ByteString haystack, ByteString needle) {
    for (int i = 0; i + needle.size() <= haystack.size(); i++) {
      if (haystack.substring(i, i + needle.size()).equals(needle)) {
        return true;
      }
    }
    return false;
  }
}
