package io.failback.certs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.certs.PkiDirectory.IssuedIdentity;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PkiDirectoryTest {
  private static final char[] PASSWORD = "test".toCharArray();
  private static final int TIMEOUT_MILLIS = 10_000;

  @TempDir Path dir;
  private PkiDirectory pki;

  @BeforeEach
  void createPki() throws IOException {
    // Real time: the JDK's TLS stack checks validity against the system clock.
    pki = PkiDirectory.create(dir, "failback.local", Clock.systemUTC());
  }

  @Test
  void laysOutCaAndIdentitiesInOneFolder() throws Exception {
    IssuedIdentity agent = pki.issue(Role.AGENT, "HV01", List.of(), List.of(), Duration.ofDays(1));
    assertEquals(dir.resolve("ca/ca.pem"), pki.caCertificate());
    assertEquals(dir.resolve("agent-hv01.pem"), agent.certificate());
    assertEquals(dir.resolve("agent-hv01.key"), agent.privateKey());
    assertEquals(List.of(agent.x509()), Pem.readCertificates(agent.certificate()));
    assertTrue(Files.exists(dir.resolve("ca/ca.key")));
    TestCerts.validateChain(
        agent.x509(), Pem.readCertificates(pki.caCertificate()).get(0), Instant.now());
  }

  @Test
  void reissuingReplacesTheFiles() throws Exception {
    IssuedIdentity first =
        pki.issue(
            Role.CONTROLLER, "controller", List.of("localhost"), List.of(), Duration.ofDays(1));
    IssuedIdentity second =
        pki.issue(
            Role.CONTROLLER, "controller", List.of("localhost"), List.of(), Duration.ofDays(2));
    assertEquals(first.certificate(), second.certificate());
    assertEquals(List.of(second.x509()), Pem.readCertificates(second.certificate()));
  }

  @Test
  void mutualTlsWorksBetweenControllerAndAgent() throws Exception {
    IssuedIdentity controller =
        pki.issue(
            Role.CONTROLLER,
            "controller",
            List.of("localhost"),
            List.of("127.0.0.1"),
            Duration.ofDays(1));
    IssuedIdentity agent = pki.issue(Role.AGENT, "hv01", List.of(), List.of(), Duration.ofDays(1));

    X509Certificate seenByServer = handshake(context(controller), context(agent));
    assertEquals(
        "spiffe://failback.local/agent/hv01", Identities.spiffeIdOf(seenByServer).orElseThrow());
  }

  @Test
  void agentCertificateCannotServe() throws Exception {
    IssuedIdentity agent = pki.issue(Role.AGENT, "hv01", List.of(), List.of(), Duration.ofDays(1));
    IssuedIdentity other = pki.issue(Role.AGENT, "hv02", List.of(), List.of(), Duration.ofDays(1));
    assertThrows(SSLException.class, () -> handshake(context(agent), context(other)));
  }

  @Test
  void controllerCertificateCannotAuthenticateAClient() throws Exception {
    IssuedIdentity controller =
        pki.issue(
            Role.CONTROLLER, "controller", List.of("localhost"), List.of(), Duration.ofDays(1));
    IssuedIdentity impostor =
        pki.issue(Role.CONTROLLER, "impostor", List.of("localhost"), List.of(), Duration.ofDays(1));
    // The server refuses; the client learns it from an alert or from the server's failure.
    Exception e =
        assertThrows(Exception.class, () -> handshake(context(controller), context(impostor)));
    boolean serverRefused =
        e instanceof ExecutionException && e.getCause() instanceof UncheckedIOException;
    // A refused handshake may also surface as a reset or broken pipe on the client side.
    assertTrue(e instanceof java.io.IOException || serverRefused, e::toString);
  }

  private SSLContext context(IssuedIdentity identity) throws Exception {
    KeyStore keys = KeyStore.getInstance("PKCS12");
    keys.load(null, null);
    keys.setKeyEntry(
        "identity",
        Pem.readPrivateKey(identity.privateKey()),
        PASSWORD,
        Pem.readCertificates(identity.certificate()).toArray(new Certificate[0]));
    KeyManagerFactory kmf = KeyManagerFactory.getInstance("PKIX");
    kmf.init(keys, PASSWORD);
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("ca", Pem.readCertificates(pki.caCertificate()).get(0));
    TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
    tmf.init(trust);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
    return context;
  }

  /**
   * Runs one handshake on loopback; the client checks the host name "localhost".
   *
   * <p>Returns the client certificate the server saw. Throws SSLException if the client failed,
   * ExecutionException if the server did.
   */
  private static X509Certificate handshake(SSLContext server, SSLContext client) throws Exception {
    InetAddress loopback = InetAddress.getLoopbackAddress();
    try (SSLServerSocket listener =
        (SSLServerSocket) server.getServerSocketFactory().createServerSocket(0, 1, loopback)) {
      listener.setNeedClientAuth(true);
      listener.setSoTimeout(TIMEOUT_MILLIS);
      CompletableFuture<X509Certificate> seen =
          CompletableFuture.supplyAsync(() -> serveOnce(listener));
      Socket raw = new Socket(loopback, listener.getLocalPort());
      try (SSLSocket socket =
          (SSLSocket)
              client.getSocketFactory().createSocket(raw, "localhost", raw.getPort(), true)) {
        SSLParameters params = socket.getSSLParameters();
        params.setEndpointIdentificationAlgorithm("HTTPS");
        socket.setSSLParameters(params);
        socket.setSoTimeout(TIMEOUT_MILLIS);
        socket.startHandshake();
        // With TLS 1.3 the server judges the client certificate after the client is done.
        if (socket.getInputStream().read() != 1) {
          throw new SSLException("server closed the connection");
        }
      }
      return seen.get(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
    }
  }

  private static X509Certificate serveOnce(SSLServerSocket listener) {
    try (SSLSocket socket = (SSLSocket) listener.accept()) {
      socket.setSoTimeout(TIMEOUT_MILLIS);
      socket.startHandshake();
      socket.getOutputStream().write(1);
      socket.getOutputStream().flush();
      return (X509Certificate) socket.getSession().getPeerCertificates()[0];
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
