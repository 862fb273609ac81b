package io.failback.certs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPublicKey;
import java.time.Duration;
import java.util.List;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class PkiCliTest {
  @TempDir Path dir;

  private record Result(int exitCode, String out, String err) {}

  @Test
  void initRequestSignShowRoundTrip() throws Exception {
    Path ca = dir.resolve("ca");
    Path host = dir.resolve("hv01-machine");
    assertOk(run("init-ca", "--dir", ca.toString(), "--trust-domain", "failback.local"));
    Result request = run("request", "--name", "HV01", "--out-dir", host.toString());
    assertOk(request);
    assertTrue(Files.exists(host.resolve("hv01.key")));
    Path cert = host.resolve("hv01.pem");
    Result sign =
        run(
            "sign",
            "--ca-dir",
            ca.toString(),
            "--csr",
            host.resolve("hv01.csr").toString(),
            "--role",
            "agent",
            "--name",
            "hv01",
            "--days",
            "30",
            "--out",
            cert.toString());
    assertOk(sign);

    X509Certificate leaf = Pem.readCertificates(cert).get(0);
    X509Certificate caCert = Pem.readCertificates(ca.resolve("ca.pem")).get(0);
    TestCerts.validateChain(leaf, caCert, TestCerts.NOW);
    // The certificate is for the key that never left the agent's machine.
    assertEquals(
        KeyRequest.readCsr(host.resolve("hv01.csr")).getSubjectPublicKeyInfo(),
        SubjectPublicKeyInfo.getInstance(leaf.getPublicKey().getEncoded()));

    // Both sides print the same key fingerprint, to be compared over a second channel.
    String fingerprint = Identities.keyFingerprint(leaf.getPublicKey().getEncoded());
    assertTrue(request.out().contains(fingerprint), request.out());
    assertTrue(sign.out().contains(fingerprint), sign.out());

    Result show = run("show", cert.toString());
    assertOk(show);
    assertTrue(
        show.out().contains("spiffe id:     spiffe://failback.local/agent/hv01"), show.out());
    assertTrue(show.out().contains("ext key usage: clientAuth\n"), show.out());
    assertTrue(show.out().contains(Identities.thumbprint(leaf)), show.out());
  }

  @Test
  void issueMakesAControllerIdentityOnTheCaHost() throws Exception {
    Path ca = dir.resolve("ca");
    assertOk(run("init-ca", "--dir", ca.toString(), "--trust-domain", "failback.local"));
    Path out = dir.resolve("controller");
    assertOk(
        run(
            "issue",
            "--ca-dir",
            ca.toString(),
            "--role",
            "CONTROLLER",
            "--dns",
            "localhost",
            "--ip",
            "127.0.0.1",
            "--out-dir",
            out.toString()));
    X509Certificate cert = Pem.readCertificates(out.resolve("controller.pem")).get(0);
    assertEquals(List.of("localhost"), TestCerts.dnsNames(cert));
    assertEquals(List.of(TestCerts.SERVER_AUTH), cert.getExtendedKeyUsage());
    assertTrue(Files.exists(out.resolve("controller.key")));
  }

  @Test
  void failedSignExitsNonZeroWithOneLineAndWritesNothing() throws Exception {
    Path ca = dir.resolve("ca");
    assertOk(run("init-ca", "--dir", ca.toString(), "--trust-domain", "failback.local"));
    assertOk(run("request", "--name", "hv01", "--out-dir", dir.toString()));
    Path cert = dir.resolve("hv01.pem");

    Result result =
        run(
            "sign",
            "--ca-dir",
            ca.toString(),
            "--csr",
            dir.resolve("hv01.csr").toString(),
            "--role",
            "agent",
            "--name",
            "hv 01",
            "--out",
            cert.toString());

    assertEquals(1, result.exitCode());
    assertEquals(
        "failback-pki sign: agent name \"hv 01\" contains ' '; only letters, digits, '.', '_'"
            + " and '-' are allowed\n",
        result.err());
    assertFalse(Files.exists(cert));
  }

  @Test
  void agentsGetNoDnsNames() throws Exception {
    Path ca = dir.resolve("ca");
    assertOk(run("init-ca", "--dir", ca.toString(), "--trust-domain", "failback.local"));
    Result result =
        run(
            "issue",
            "--ca-dir",
            ca.toString(),
            "--role",
            "agent",
            "--name",
            "hv01",
            "--dns",
            "hv01.corp",
            "--out-dir",
            dir.resolve("out").toString());
    assertEquals(1, result.exitCode());
    assertTrue(result.err().contains("--dns and --ip are for the controller only"), result.err());
    assertFalse(Files.exists(dir.resolve("out")));
  }

  @Test
  void existingCaAndKeysAreNeverOverwritten() throws Exception {
    Path ca = dir.resolve("ca");
    assertOk(run("init-ca", "--dir", ca.toString(), "--trust-domain", "failback.local"));
    byte[] caKey = Files.readAllBytes(ca.resolve("ca.key"));
    Result again = run("init-ca", "--dir", ca.toString(), "--trust-domain", "failback.local");
    assertEquals(1, again.exitCode());
    assertTrue(again.err().contains("refusing to overwrite"), again.err());
    assertArrayEquals(caKey, Files.readAllBytes(ca.resolve("ca.key")));

    assertOk(run("request", "--name", "hv01", "--out-dir", dir.toString()));
    byte[] key = Files.readAllBytes(dir.resolve("hv01.key"));
    assertEquals(1, run("request", "--name", "hv01", "--out-dir", dir.toString()).exitCode());
    assertArrayEquals(key, Files.readAllBytes(dir.resolve("hv01.key")));
  }

  @Test
  void usageErrorsExitWithTwo() {
    assertEquals(2, run("sign", "--bogus").exitCode());
    assertEquals(2, run().exitCode());
    Result badRole =
        run("sign", "--ca-dir", "x", "--csr", "y", "--role", "admin", "--out", "z.pem");
    assertEquals(2, badRole.exitCode());
    assertTrue(badRole.err().contains("unknown role \"admin\""), badRole.err());
  }

  @Test
  void missingCaDirectoryIsNamed() {
    Result result =
        run(
            "sign",
            "--ca-dir",
            dir.resolve("nope").toString(),
            "--csr",
            "x.csr",
            "--role",
            "operator",
            "--name",
            "alice",
            "--out",
            dir.resolve("alice.pem").toString());
    assertEquals(1, result.exitCode());
    assertTrue(result.err().startsWith("failback-pki sign: no such file"), result.err());
  }

  @Test
  void encryptionCertMakesAnOwnerOnlyKeyAndAnEncryptionOnlyCertificate() throws Exception {
    Path out = dir.resolve("agent-state").resolve("encryption");
    Result result = run("encryption-cert", "--name", "HV01", "--out-dir", out.toString(),
        "--days", "30");
    assertOk(result);
    List<Path> pems;
    try (var files = Files.list(out)) {
      pems = files.filter(f -> f.toString().endsWith(".pem")).toList();
    }
    assertEquals(1, pems.size());
    X509Certificate cert = Pem.readCertificates(pems.get(0)).get(0);
    String thumbprint = Identities.thumbprint(cert);
    assertEquals(thumbprint + ".pem", pems.get(0).getFileName().toString());
    Path key = out.resolve(thumbprint + ".key");
    if (Files.getFileStore(key).supportsFileAttributeView("posix")) {
      assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(key)));
    }
    assertTrue(EncryptionCertificates.matches(cert, Pem.readPrivateKey(key)));
    assertTrue(result.out().contains(thumbprint), result.out());

    assertEquals(3072, ((RSAPublicKey) cert.getPublicKey()).getModulus().bitLength());
    boolean[] usage = cert.getKeyUsage();
    assertTrue(usage[2], "keyEncipherment");
    for (int i = 0; i < usage.length; i++) {
      assertEquals(i == 2, usage[i], "key usage bit " + i);
    }
    assertTrue(cert.getCriticalExtensionOIDs().contains("2.5.29.15"), "key usage is critical");
    assertEquals(null, cert.getExtendedKeyUsage());
    assertEquals(null, cert.getSubjectAlternativeNames(), "no identity a TLS peer could accept");
    assertEquals(-1, cert.getBasicConstraints());
    cert.verify(cert.getPublicKey());
    assertEquals(TestCerts.NOW.plus(Duration.ofDays(30)), cert.getNotAfter().toInstant());
    assertEquals("CN=hv01,OU=encryption,O=Failback", cert.getSubjectX500Principal().getName());

    // A second certificate goes beside the first: jobs under the old one can still finish.
    assertOk(run("encryption-cert", "--name", "hv01", "--out-dir", out.toString()));
    try (var files = Files.list(out)) {
      assertEquals(4, files.count());
    }
  }

  @Test
  void encryptionCertWithABadValidityWritesNothing() {
    Path out = dir.resolve("encryption");
    Result result = run("encryption-cert", "--name", "hv01", "--out-dir", out.toString(),
        "--days", "0");
    assertEquals(1, result.exitCode());
    assertTrue(result.err().contains("--days must be positive"), result.err());
    assertFalse(Files.exists(out));
  }

  private static void assertOk(Result result) {
    assertEquals(0, result.exitCode(), result.err());
    assertEquals("", result.err());
  }

  private static Result run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = new CommandLine(new PkiCli(TestCerts.CLOCK));
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int exitCode = cli.execute(args);
    return new Result(
        exitCode, out.toString().replace("\r\n", "\n"), err.toString().replace("\r\n", "\n"));
  }
}
