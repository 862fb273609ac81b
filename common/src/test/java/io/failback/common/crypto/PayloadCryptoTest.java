package io.failback.common.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.certs.EncryptionCertificates;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Sealing, opening, wrapping and unwrapping, and everything that must make them fail. */
class PayloadCryptoTest {
  private static final int LZ4 = 2;
  private static EncryptionCertificates.Issued agent;
  private static EncryptionCertificates.Issued other;

  private final JobKey key = JobKey.generate("job-1");
  private final byte[] block = random(4096, 1);

  @BeforeAll
  static void certificates() {
    agent = EncryptionCertificates.create("hv01", Duration.ofDays(1), Clock.systemUTC());
    other = EncryptionCertificates.create("hv02", Duration.ofDays(1), Clock.systemUTC());
  }

  @Test
  void sealedBlockOpensToItsBytesAndHidesThem() throws Exception {
    PayloadSealer.Sealed sealed = new PayloadSealer(key, "s-d0").seal(7, LZ4, 65536, block, 0,
        block.length);
    assertEquals(block.length + 16, sealed.ciphertext().length, "ciphertext plus a 16-byte tag");
    assertFalse(Arrays.equals(block, Arrays.copyOf(sealed.ciphertext(), block.length)));
    assertArrayEquals(block, new PayloadOpener(key, "s-d0").open(7, LZ4, 65536,
        sealed.nonce(), sealed.ciphertext()));
  }

  @Test
  void everyBlockGetsItsOwnNonce() {
    PayloadSealer sealer = new PayloadSealer(key, "s-d0");
    Set<String> nonces = new HashSet<>();
    for (int i = 0; i < 1000; i++) {
      nonces.add(Arrays.toString(sealer.seal(7, LZ4, 65536, block, 0, 16).nonce()));
    }
    assertEquals(1000, nonces.size(), "the same block sealed again must not reuse a nonce");
  }

  @Test
  void changedCiphertextOrTagIsRejected() {
    PayloadSealer.Sealed sealed = new PayloadSealer(key, "s-d0").seal(7, LZ4, 65536, block, 0,
        block.length);
    byte[] body = sealed.ciphertext().clone();
    body[100] ^= 1;
    assertRejected(() -> opener("s-d0").open(7, LZ4, 65536, sealed.nonce(), body));
    byte[] tag = sealed.ciphertext().clone();
    tag[tag.length - 1] ^= 1;
    assertRejected(() -> opener("s-d0").open(7, LZ4, 65536, sealed.nonce(), tag));
    byte[] nonce = sealed.nonce().clone();
    nonce[0] ^= 1;
    assertRejected(() -> opener("s-d0").open(7, LZ4, 65536, nonce, sealed.ciphertext()));
    byte[] truncated = Arrays.copyOf(sealed.ciphertext(), 10);
    assertRejected(() -> opener("s-d0").open(7, LZ4, 65536, sealed.nonce(), truncated));
  }

  @Test
  void blockReplayedAtAnotherIndexOrMovedIsRejected() {
    PayloadSealer.Sealed sealed = new PayloadSealer(key, "s-d0").seal(7, LZ4, 65536, block, 0,
        block.length);
    byte[] n = sealed.nonce();
    byte[] c = sealed.ciphertext();
    assertRejected(() -> opener("s-d0").open(8, LZ4, 65536, n, c)); // another index
    assertRejected(() -> opener("s-d1").open(7, LZ4, 65536, n, c)); // another disk's session
    assertRejected(() -> opener("s-d0").open(7, 1, 65536, n, c)); // relabelled uncompressed
    assertRejected(() -> opener("s-d0").open(7, LZ4, 4096, n, c)); // another length
    JobKey sameBytesOtherJob = new JobKey("job-2", key.secretKey().getEncoded());
    assertRejected(() -> new PayloadOpener(sameBytesOtherJob, "s-d0").open(7, LZ4, 65536, n,
        c));
    assertRejected(() -> new PayloadOpener(JobKey.generate("job-1"), "s-d0").open(7, LZ4,
        65536, n, c)); // another key
  }

  @Test
  void wrappedKeyUnwrapsOnlyWithItsPrivateKeyAndJob() throws Exception {
    byte[] wrapped = KeyWrapper.wrap(key, agent.certificate().getPublicKey());
    JobKey unwrapped = KeyWrapper.unwrap(wrapped, agent.keyPair().getPrivate(), "job-1");
    PayloadSealer.Sealed sealed = new PayloadSealer(key, "s-d0").seal(3, LZ4, 65536, block, 0,
        block.length);
    assertArrayEquals(block, new PayloadOpener(unwrapped, "s-d0").open(3, LZ4, 65536,
        sealed.nonce(), sealed.ciphertext()));

    assertRejected(() -> KeyWrapper.unwrap(wrapped, other.keyPair().getPrivate(), "job-1"));
    assertRejected(() -> KeyWrapper.unwrap(wrapped, agent.keyPair().getPrivate(), "job-2"));
    byte[] changed = wrapped.clone();
    changed[5] ^= 1;
    assertRejected(() -> KeyWrapper.unwrap(changed, agent.keyPair().getPrivate(), "job-1"));
  }

  @Test
  void keyCheckVerifiesOnlyWithItsKeyAndJob() {
    byte[] check = KeyCheck.of(key);
    assertTrue(KeyCheck.verify(key, check));
    assertFalse(KeyCheck.verify(JobKey.generate("job-1"), check));
    assertFalse(KeyCheck.verify(new JobKey("job-2", key.secretKey().getEncoded()), check));
    assertFalse(KeyCheck.verify(key, Arrays.copyOf(check, 20)));
    check[check.length - 1] ^= 1;
    assertFalse(KeyCheck.verify(key, check));
  }

  private PayloadOpener opener(String session) {
    return new PayloadOpener(key, session);
  }

  private interface Attempt {
    void run() throws Exception;
  }

  private static void assertRejected(Attempt attempt) {
    assertThrows(GeneralSecurityException.class, attempt::run);
  }

  private static byte[] random(int size, long seed) {
    byte[] data = new byte[size];
    new Random(seed).nextBytes(data);
    return data;
  }
}
