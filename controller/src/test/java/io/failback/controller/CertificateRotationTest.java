package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.certs.Pem;
import io.failback.common.testing.GrpcCleanup;
import io.failback.common.tls.TlsFiles;
import io.failback.proto.v1.InventoryServiceGrpc;
import io.failback.proto.v1.ListHostsRequest;
import io.grpc.ManagedChannel;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** A replaced controller certificate is served without a restart. */
class CertificateRotationTest {
  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;

  @Test
  void replacedCertificateIsServedWithoutRestart() throws Exception {
    ControllerFixture controller = cleanup.register(new ControllerFixture(dir).start());
    BigInteger before = servedSerial(controller);
    ManagedChannel operator = controller.channel(controller.pki.operator("ops"));
    cleanup.register(operator::shutdownNow);
    InventoryServiceGrpc.newBlockingStub(operator).listHosts(ListHostsRequest.getDefaultInstance());

    // Issuing again rewrites the same certificate and key files, as a renewal would.
    TlsFiles renewed = controller.pki.controller();
    assertEquals(controller.controllerTls, renewed);
    assertTrue(controller.server.tls().reloadIfChanged());

    BigInteger after = servedSerial(controller);
    assertNotEquals(before, after);
    assertEquals(serialOf(renewed.certificate()), after);
    // Connections made before the rotation carry on.
    InventoryServiceGrpc.newBlockingStub(operator).listHosts(ListHostsRequest.getDefaultInstance());
  }

  @Test
  void brokenReplacementKeepsServingTheCurrentCertificate() throws Exception {
    ControllerFixture controller = cleanup.register(new ControllerFixture(dir).start());
    BigInteger before = servedSerial(controller);
    Files.writeString(controller.controllerTls.certificate(), "half-copied garbage");

    assertFalse(controller.server.tls().reloadIfChanged());
    assertEquals(before, servedSerial(controller));
  }

  /** The serial of the certificate the controller presents in a fresh handshake. */
  private static BigInteger servedSerial(ControllerFixture controller) throws Exception {
    KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
    trust.load(null, null);
    trust.setCertificateEntry("ca", readCertificate(controller.pki.caCertificate()));
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    TlsFiles operator = controller.pki.operator("rotation-probe");
    KeyStore identity = KeyStore.getInstance("PKCS12");
    identity.load(null, null);
    identity.setKeyEntry("op", Pem.readPrivateKey(operator.privateKey()), new char[0],
        Pem.readCertificates(operator.certificate()).toArray(new X509Certificate[0]));
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(identity, new char[0]);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
    try (SSLSocket socket = (SSLSocket) context.getSocketFactory()
        .createSocket("localhost", controller.port())) {
      SSLParameters params = socket.getSSLParameters();
      params.setApplicationProtocols(new String[] {"h2"});
      socket.setSSLParameters(params);
      socket.setSoTimeout(10_000);
      socket.startHandshake();
      return ((X509Certificate) socket.getSession().getPeerCertificates()[0]).getSerialNumber();
    }
  }

  private static BigInteger serialOf(Path pem) throws Exception {
    return readCertificate(pem).getSerialNumber();
  }

  private static X509Certificate readCertificate(Path pem) throws Exception {
    try (InputStream in = Files.newInputStream(pem)) {
      return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
    }
  }
}
