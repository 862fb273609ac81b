package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.failback.agent.hyperv.simulated.SimulatedHypervisor;
import io.failback.agent.hyperv.state.InconsistentVms;
import io.failback.certs.EncryptionCertificates;
import io.failback.common.crypto.JobKey;
import io.failback.common.crypto.KeyWrapper;
import io.failback.common.disk.BlockDevice;
import io.failback.common.disk.BlockDevices;
import io.failback.common.sync.SyncProgress;
import io.failback.controller.sync.JobEncryption;
import io.failback.controller.sync.SyncOutcome;
import io.failback.proto.v1.EncryptionCertificate;
import io.failback.proto.v1.StartSync;
import io.failback.proto.v1.SyncMode;
import io.failback.proto.v1.SyncRole;
import io.failback.proto.v1.VirtualMachine;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Failback-direction sync with end-to-end payload encryption between a real controller and a
 * real agent over mutual TLS, under the key wrapped for the agent's encryption certificate.
 */
class EncryptedSyncOverGrpcTest extends SyncGrpcTestBase {
  private static final int BLOCK = 64 * 1024;
  private static final int MARKED_BLOCKS = 48;
  private static final String MARKER = "FAILBACK-PLAINTEXT-MARKER-";

  private ControllerFixture controller;
  private TappedAgent agent;
  private Path hostDir;
  private VirtualMachine vm;
  private Path onPrem;
  private byte[] cloud;
  private Path cloudDisk;
  private EncryptionCertificates.Issued held;
  private int refusals;

  @BeforeEach
  void start() throws Exception {
    controller = cleanup.register(new ControllerFixture(dir).start());
    hostDir = seedHost();
    held = EncryptionCertificates.create("hv-01", Duration.ofDays(30), Clock.systemUTC());
    held.write(hostDir.resolve(".agent").resolve("encryption"));
    agent = cleanup.register(new TappedAgent(controller.target(),
        controller.pki.agent("hv-01"), hostDir));
    vm = new SimulatedHypervisor(hostDir).inventory().getVirtualMachines(0);
    onPrem = Path.of(vm.getDisks(0).getPath());
    cloud = markedImage();
    cloudDisk = dir.resolve("cloud.raw");
    BlockDevices.createRawSparse(cloudDisk, 64L * MIB).close();
    writeAll(cloudDisk, cloud);
  }

  @Test
  void inventoryReportsTheHeldCertificateWithItsDer() throws Exception {
    EncryptionCertificate reported = reported();
    assertEquals(held.thumbprint(), reported.getThumbprint());
    assertArrayEquals(held.certificate().getEncoded(), reported.getCertificateDer().toByteArray());
    assertEquals(held.certificate().getNotAfter().getTime() / 1000,
        reported.getNotAfter().getSeconds());
    assertTrue(reported.getSubject().contains("CN=hv-01"), reported.getSubject());
  }

  @Test
  void encryptedPayloadsCarryNoPlaintextWhilePlainOnesDo() throws Exception {
    JobEncryption encryption = JobEncryption.forCertificate(reported(), "job-1", Instant.now());
    SyncOutcome sealed = failback("enc-d0", encryption);
    assertTrue(sealed.digestsMatch(), sealed.toString());
    assertArrayEquals(cloud, readAll(onPrem));
    String wire = new String(agent.takeReceived(), StandardCharsets.ISO_8859_1);
    assertTrue(wire.length() > MARKED_BLOCKS * BLOCK, "the blocks did not pass the tap");
    assertEquals(0, plaintextFound(wire), "plaintext crossed in an encrypted session");

    // The control run: the same disk, the same tap, no encryption.
    writeAll(onPrem, new byte[cloud.length]);
    agent.takeReceived();
    SyncOutcome plain = failback("plain-d0", null);
    assertTrue(plain.digestsMatch(), plain.toString());
    assertEquals(2 * MARKED_BLOCKS, plaintextFound(new String(agent.takeReceived(),
        StandardCharsets.ISO_8859_1)), "the tap does not see plaintext; the test proves nothing");
  }

  @Test
  void reverseDirectionSealsOnTheAgentAndOpensOnTheController() throws Exception {
    Path agentVhdx = Path.of(vm.getDisks(1).getPath());
    byte[] data = randomImage(48L * MIB, 2);
    writeAll(agentVhdx, data);
    Path cloudVhdx = dir.resolve("cloud.vhdx");
    BlockDevices.createDynamicVhdx(cloudVhdx, 48L * MIB, 1 << 20, 512).close();
    JobEncryption encryption = JobEncryption.forCertificate(reported(), "job-5", Instant.now());
    agent.takeSent();
    SyncOutcome outcome;
    try (BlockDevice local = BlockDevices.open(cloudVhdx, true)) {
      outcome = controller.server.syncs().sync("hv-01", StartSync.newBuilder()
              .setParameters(parameters("reverse-enc-d1", SyncMode.FULL, 48L * MIB))
              .setAgentRole(SyncRole.SOURCE).setDiskPath(agentVhdx.toString()).build(),
          local, Map.of(), checkpoint -> {}, new SyncProgress(), null, encryption)
          .get(60, TimeUnit.SECONDS);
    }
    assertTrue(outcome.digestsMatch(), outcome.toString());
    assertArrayEquals(data, readAll(cloudVhdx));
    String wire = new String(agent.takeSent(), StandardCharsets.ISO_8859_1);
    int samples = 0;
    for (int block = 0; block < data.length / BLOCK; block += 7) {
      String sample = new String(data, block * BLOCK + 512, 48, StandardCharsets.ISO_8859_1);
      if (!sample.equals(new String(new byte[48], StandardCharsets.ISO_8859_1))) {
        samples++;
        assertFalse(wire.contains(sample), "block " + block + " left the agent in plaintext");
      }
    }
    assertTrue(samples > 50, "too few non-zero samples: " + samples);
  }

  @Test
  void agentWithoutTheCertificateRefusesBeforeTouchingTheDisk() throws Exception {
    EncryptionCertificates.Issued elsewhere = EncryptionCertificates.create("hv-02",
        Duration.ofDays(30), Clock.systemUTC());
    JobEncryption encryption = JobEncryption.forCertificate(EncryptionCertificate.newBuilder()
        .setThumbprint(elsewhere.thumbprint())
        .setCertificateDer(ByteString.copyFrom(elsewhere.certificate().getEncoded())).build(),
        "job-2", Instant.now());
    assertRefused(encryption, "holds no private key for encryption certificate '"
        + elsewhere.thumbprint() + "' (it holds " + held.thumbprint() + ")");
  }

  @Test
  void wrongWrappedKeyIsRefusedBeforeTouchingTheDisk() throws Exception {
    JobEncryption good = JobEncryption.forCertificate(reported(), "job-3", Instant.now());
    // Wrapped for this certificate, but for another job: the OAEP label differs.
    byte[] otherJob = KeyWrapper.wrap(JobKey.generate("job-4"), held.certificate()
        .getPublicKey());
    assertRefused(withWrappedKey(good, otherJob), "does not unwrap");
    // Unwraps fine, to a key that is not the one the controller seals with.
    byte[] otherKey = KeyWrapper.wrap(JobKey.generate("job-3"), held.certificate()
        .getPublicKey());
    assertRefused(withWrappedKey(good, otherKey), "does not match the session's key check");
  }

  private static JobEncryption withWrappedKey(JobEncryption good, byte[] wrapped) {
    return new JobEncryption(good.key(), good.wire().toBuilder()
        .setWrappedKey(ByteString.copyFrom(wrapped)).build());
  }

  private void assertRefused(JobEncryption encryption, String reason) throws Exception {
    byte[] before = markedImage();
    before[17] ^= 1; // an older on-prem copy: any write would show
    writeAll(onPrem, before);
    ExecutionException e = assertThrows(ExecutionException.class,
        () -> failback("refused-" + refusals++, encryption));
    assertTrue(e.getCause().getMessage().contains(reason), e.getCause().getMessage());
    assertArrayEquals(before, readAll(onPrem), "a refused session changed the disk");
    assertFalse(new InconsistentVms(hostDir.resolve(".agent")).reason(vm.getId()).isPresent(),
        "a refused session marked the VM inconsistent");
  }

  private SyncOutcome failback(String session, JobEncryption encryption) throws Exception {
    try (BlockDevice local = BlockDevices.open(cloudDisk, false)) {
      return controller.server.syncs().sync("hv-01", StartSync.newBuilder()
              .setParameters(parameters(session, SyncMode.FULL, 64L * MIB))
              .setAgentRole(SyncRole.TARGET).setDiskPath(onPrem.toString()).build(),
          local, Map.of(), checkpoint -> {}, new SyncProgress(), null, encryption)
          .get(60, TimeUnit.SECONDS);
    }
  }

  private EncryptionCertificate reported() throws Exception {
    var certificates = controller.server.registry().host("hv-01").orElseThrow().getInventory()
        .getEncryptionCertificatesList();
    assertEquals(1, certificates.size(), certificates.toString());
    return certificates.get(0);
  }

  /** Blocks of random bytes, each with a marker and a known random sample; the rest zeros. */
  private static byte[] markedImage() {
    byte[] image = new byte[64 * MIB];
    Random random = new Random(42);
    for (int b = 0; b < MARKED_BLOCKS; b++) {
      byte[] block = new byte[BLOCK];
      random.nextBytes(block);
      byte[] marker = (MARKER + b + ";").getBytes(StandardCharsets.US_ASCII);
      System.arraycopy(marker, 0, block, 1000, marker.length);
      System.arraycopy(block, 0, image, (b * 5) * BLOCK, BLOCK);
    }
    return image;
  }

  /** How many markers and random samples of the marked blocks occur in {@code wire}. */
  private int plaintextFound(String wire) {
    int found = 0;
    for (int b = 0; b < MARKED_BLOCKS; b++) {
      int at = b * 5 * BLOCK;
      if (wire.contains(MARKER + b + ";")) {
        found++;
      }
      if (wire.contains(new String(cloud, at + 30_000, 48, StandardCharsets.ISO_8859_1))) {
        found++;
      }
    }
    return found;
  }
}
