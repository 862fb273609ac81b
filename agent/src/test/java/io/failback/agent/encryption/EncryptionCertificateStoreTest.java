package io.failback.agent.encryption;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.certs.EncryptionCertificates;
import io.failback.proto.v1.EncryptionCertificate;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Only certificates whose own private key lies beside them are held and reported. */
class EncryptionCertificateStoreTest {
  private static EncryptionCertificates.Issued first;
  private static EncryptionCertificates.Issued second;
  private static EncryptionCertificates.Issued third;

  @TempDir Path dir;

  @BeforeAll
  static void certificates() {
    first = EncryptionCertificates.create("hv01", Duration.ofDays(1), Clock.systemUTC());
    second = EncryptionCertificates.create("hv01", Duration.ofDays(1), Clock.systemUTC());
    third = EncryptionCertificates.create("hv01", Duration.ofDays(1), Clock.systemUTC());
  }

  @Test
  void missingDirectoryHoldsNothing() throws Exception {
    assertEquals(List.of(), new EncryptionCertificateStore(dir.resolve("none")).inventory());
  }

  @Test
  void reportsPairsAndSkipsCertificatesWithoutTheirKey() throws Exception {
    first.write(dir);
    second.write(dir);
    Files.delete(dir.resolve(second.thumbprint() + ".key")); // certificate without a key
    third.write(dir);
    // Third's certificate now lies beside first's key: a key that is not its own.
    Files.copy(dir.resolve(first.thumbprint() + ".key"),
        dir.resolve(third.thumbprint() + ".key"), StandardCopyOption.REPLACE_EXISTING);

    EncryptionCertificateStore store = new EncryptionCertificateStore(dir);
    List<EncryptionCertificate> reported = store.inventory();
    assertEquals(1, reported.size(), reported.toString());
    assertEquals(first.thumbprint(), reported.get(0).getThumbprint());
    assertArrayEquals(first.certificate().getEncoded(),
        reported.get(0).getCertificateDer().toByteArray());
    assertEquals("CN=hv01,OU=encryption,O=Failback", reported.get(0).getSubject());

    var held = store.find(first.thumbprint().toUpperCase(Locale.ROOT)).orElseThrow();
    assertEquals(first.keyPair().getPrivate(), held.privateKey());
    assertTrue(store.find(second.thumbprint()).isEmpty());
    assertTrue(store.find(third.thumbprint()).isEmpty());
  }
}
