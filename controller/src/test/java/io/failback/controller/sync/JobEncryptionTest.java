package io.failback.controller.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.failback.certs.EncryptionCertificates;
import io.failback.certs.Identities;
import io.failback.certs.Role;
import io.failback.common.crypto.JobKey;
import io.failback.common.crypto.KeyCheck;
import io.failback.common.crypto.KeyWrapper;
import io.failback.common.sync.DiskSync;
import io.failback.common.testing.TestPki;
import io.failback.proto.v1.EncryptionCertificate;
import io.failback.proto.v1.SyncParameters;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the controller checks before it wraps a job key for a reported certificate. */
class JobEncryptionTest {
  private static EncryptionCertificates.Issued held;
  private static EncryptionCertificate reported;

  @BeforeAll
  static void certificate() throws Exception {
    held = EncryptionCertificates.create("hv-01", Duration.ofDays(30), Clock.systemUTC());
    reported = EncryptionCertificate.newBuilder().setThumbprint(held.thumbprint())
        .setCertificateDer(ByteString.copyFrom(held.certificate().getEncoded())).build();
  }

  @Test
  void wrapsAFreshKeyOnlyTheCertificatesPrivateKeyUnwraps() throws Exception {
    JobEncryption first = JobEncryption.forCertificate(reported, "job-1", Instant.now());
    JobEncryption second = JobEncryption.forCertificate(reported, "job-1", Instant.now());
    assertEquals(held.thumbprint(), first.wire().getCertificateThumbprint());
    assertEquals("job-1", first.wire().getKeyId());
    JobKey unwrapped = KeyWrapper.unwrap(first.wire().getWrappedKey().toByteArray(),
        held.keyPair().getPrivate(), "job-1");
    // The unwrapped key is the one the controller seals with: it passes the key check.
    DiskSync.checkEncryption(SyncParameters.newBuilder().setEncryption(first.wire()).build(),
        unwrapped);
    assertFalse(KeyCheck.verify(second.key(), first.wire().getKeyCheck().toByteArray()),
        "every call makes a new key");
  }

  @Test
  void refusesWhatIsNotTheReportedEncryptionCertificate(@TempDir Path dir) throws Exception {
    assertRefused(reported.toBuilder().clearCertificateDer().build(), "without its DER");
    assertRefused(reported.toBuilder().setCertificateDer(ByteString.copyFromUtf8("junk"))
        .build(), "is malformed");
    assertRefused(reported.toBuilder().setThumbprint("00".repeat(20)).build(),
        "has thumbprint " + held.thumbprint());
    var agentTls = TestPki.create(dir).issueRaw(Role.AGENT, "hv-01", List.of(), List.of(),
        Duration.ofDays(1)).x509();
    assertRefused(EncryptionCertificate.newBuilder()
        .setThumbprint(Identities.thumbprint(agentTls))
        .setCertificateDer(ByteString.copyFrom(agentTls.getEncoded())).build(),
        "does not allow keyEncipherment");
    IllegalArgumentException expired = assertThrows(IllegalArgumentException.class,
        () -> JobEncryption.forCertificate(reported, "job-1",
            Instant.now().plus(Duration.ofDays(31))));
    assertTrue(expired.getMessage().contains("is not valid at"), expired.getMessage());
  }

  private static void assertRefused(EncryptionCertificate entry, String reason) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> JobEncryption.forCertificate(entry, "job-1", Instant.now()));
    assertTrue(e.getMessage().contains(reason), e.getMessage());
  }
}
