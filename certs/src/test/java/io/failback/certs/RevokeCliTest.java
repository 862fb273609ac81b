package io.failback.certs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CRLReason;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code failback-pki revoke} and {@code crl}: the CA directory's CRL, through the CLI. */
class RevokeCliTest {
  @TempDir Path dir;
  Path ca;
  Path crl;

  private record Result(int exitCode, String out, String err) {}

  @BeforeEach
  void initCa() {
    ca = dir.resolve("ca");
    crl = ca.resolve("crl.pem");
    assertOk(run("init-ca", "--dir", ca.toString(), "--trust-domain", "failback.local"));
  }

  private X509Certificate issue(String name) throws Exception {
    Path out = dir.resolve(name);
    assertOk(run("issue", "--ca-dir", ca.toString(), "--role", "agent", "--name", name,
        "--out-dir", out.toString()));
    return Pem.readCertificates(out.resolve(name + ".pem")).get(0);
  }

  private X509Certificate caCertificate() throws Exception {
    return Pem.readCertificates(ca.resolve("ca.pem")).get(0);
  }

  @Test
  void revokeByCertificateThenBySerialNumbersEachCrl() throws Exception {
    X509Certificate first = issue("hv01");
    X509Certificate second = issue("hv02");

    Result byCert = run("revoke", "--ca-dir", ca.toString(), "--cert",
        dir.resolve("hv01/hv01.pem").toString(), "--reason", "keyCompromise");
    assertOk(byCert);
    assertTrue(byCert.out().contains("spiffe://failback.local/agent/hv01"), byCert.out());
    Crl one = Crl.read(crl).get(0);
    assertEquals(BigInteger.ONE, one.number());
    assertTrue(one.issuedBy(caCertificate()));
    assertEquals(TestCerts.NOW.plus(Duration.ofDays(30)), one.nextUpdate().orElseThrow());
    assertEquals(CRLReason.KEY_COMPROMISE, one.find(first.getSerialNumber()).orElseThrow()
        .reason());

    // openssl prints serials with colons; show prints plain hex: both are taken.
    String colons = second.getSerialNumber().toString(16).replaceAll("(..)(?!$)", "$1:");
    assertOk(run("revoke", "--ca-dir", ca.toString(), "--serial", colons, "--days", "7"));
    Crl two = Crl.read(crl).get(0);
    assertEquals(BigInteger.TWO, two.number());
    assertEquals(TestCerts.NOW.plus(Duration.ofDays(7)), two.nextUpdate().orElseThrow());
    // Both were revoked at the same instant, so the entries come in serial order.
    assertEquals(List.of(first.getSerialNumber(), second.getSerialNumber()).stream().sorted()
        .toList(), two.entries().stream().map(RevokedCertificate::serial).toList());
    assertEquals(CRLReason.UNSPECIFIED, two.find(second.getSerialNumber()).orElseThrow()
        .reason());
  }

  @Test
  void revokingTwiceLeavesTheCrlAlone() throws Exception {
    X509Certificate cert = issue("hv01");
    String serial = cert.getSerialNumber().toString(16);
    assertOk(run("revoke", "--ca-dir", ca.toString(), "--serial", serial));
    byte[] before = Files.readAllBytes(crl);
    Result again = run("revoke", "--ca-dir", ca.toString(), "--serial", serial);
    assertOk(again);
    assertTrue(again.out().contains("already revoked"), again.out());
    assertArrayEquals(before, Files.readAllBytes(crl));
    assertEquals(BigInteger.ONE, Crl.read(crl).get(0).number());
  }

  @Test
  void refusesWhatThisCaCannotRevoke() throws Exception {
    Path other = dir.resolve("other");
    assertOk(run("init-ca", "--dir", other.toString(), "--trust-domain", "failback.local"));
    assertOk(run("issue", "--ca-dir", other.toString(), "--role", "operator", "--name", "eve",
        "--out-dir", dir.resolve("eve").toString()));

    Result foreign = run("revoke", "--ca-dir", ca.toString(), "--cert",
        dir.resolve("eve/eve.pem").toString());
    assertEquals(1, foreign.exitCode());
    assertTrue(foreign.err().contains("was not issued by this CA"), foreign.err());
    Result self = run("revoke", "--ca-dir", ca.toString(), "--serial",
        caCertificate().getSerialNumber().toString(16));
    assertEquals(1, self.exitCode());
    assertTrue(self.err().contains("the CA's own certificate"), self.err());
    Result garbage = run("revoke", "--ca-dir", ca.toString(), "--serial", "xyz");
    assertEquals(1, garbage.exitCode());
    assertTrue(garbage.err().contains("not a hexadecimal serial"), garbage.err());
    assertEquals(2, run("revoke", "--ca-dir", ca.toString()).exitCode());
    assertEquals(2, run("revoke", "--ca-dir", ca.toString(), "--serial", "1", "--reason",
        "certificateHold").exitCode());
    assertFalse(Files.exists(crl));
  }

  @Test
  void refusesToExtendACrlThisCaDidNotSign() throws Exception {
    Path other = dir.resolve("other");
    assertOk(run("init-ca", "--dir", other.toString(), "--trust-domain", "failback.local"));
    assertOk(run("crl", "--ca-dir", other.toString(), "--renew"));
    Files.copy(other.resolve("crl.pem"), crl);
    issue("hv01");

    Result result = run("revoke", "--ca-dir", ca.toString(), "--cert",
        dir.resolve("hv01/hv01.pem").toString());
    assertEquals(1, result.exitCode());
    assertTrue(result.err().contains("is not a CRL signed by the CA"), result.err());
    assertEquals(1, run("crl", "--ca-dir", ca.toString()).exitCode());
  }

  @Test
  void crlListsAndRenews() throws Exception {
    Result none = run("crl", "--ca-dir", ca.toString());
    assertEquals(1, none.exitCode());
    assertTrue(none.err().contains("no CRL"), none.err());

    X509Certificate cert = issue("hv01");
    assertOk(run("revoke", "--ca-dir", ca.toString(), "--cert",
        dir.resolve("hv01/hv01.pem").toString(), "--reason", "superseded"));
    Result list = run("crl", "--ca-dir", ca.toString());
    assertOk(list);
    String serial = cert.getSerialNumber().toString(16);
    assertTrue(list.out().contains("signature verified"), list.out());
    assertTrue(list.out().contains("crl number:    1\n"), list.out());
    assertTrue(list.out().contains("serial " + serial + "  since " + TestCerts.NOW
        + "  superseded"), list.out());

    Clock later = Clock.fixed(TestCerts.NOW.plus(Duration.ofDays(40)), ZoneOffset.UTC);
    Result stale = run(later, "show", crl.toString());
    assertOk(stale);
    assertTrue(stale.out().contains("(passed: renew"), stale.out());

    Result renewed = run(later, "crl", "--ca-dir", ca.toString(), "--renew", "--days", "10");
    assertOk(renewed);
    Crl next = Crl.read(crl).get(0);
    assertEquals(BigInteger.TWO, next.number());
    assertEquals(TestCerts.NOW.plus(Duration.ofDays(50)), next.nextUpdate().orElseThrow());
    assertTrue(next.find(cert.getSerialNumber()).isPresent(), "renewal keeps every entry");
    assertFalse(renewed.out().contains("passed"), renewed.out());
  }

  private static void assertOk(Result result) {
    assertEquals(0, result.exitCode(), result.err());
    assertEquals("", result.err());
  }

  private static Result run(String... args) {
    return run(TestCerts.CLOCK, args);
  }

  private static Result run(Clock clock, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = new CommandLine(new PkiCli(clock));
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int exitCode = cli.execute(args);
    return new Result(
        exitCode, out.toString().replace("\r\n", "\n"), err.toString().replace("\r\n", "\n"));
  }
}
