package io.failback.controller;

import io.failback.common.grpc.TlsMaterial;
import io.failback.common.testing.MutableClock;
import io.failback.common.testing.TestPki;
import io.failback.common.tls.TlsFiles;
import io.grpc.Attributes;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.ServerTransportFilter;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.nio.file.Path;
import java.security.Principal;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSessionContext;

/**
 * The controller's real wiring (every service, interceptor and limit) on an in-process
 * transport, for tests that make thousands of calls. Every connection presents the given
 * certificate chain as if over TLS, so the authorization interceptor decides as on the port.
 */
final class InProcessController implements AutoCloseable {
  final TestPki pki;
  final ControllerServer server;
  private final String name;

  private InProcessController(TestPki pki, ControllerServer server, String name) {
    this.pki = pki;
    this.server = server;
    this.name = name;
  }

  /** A controller with the simulation service on, whose callers are {@code peer}. */
  static InProcessController start(Path dir, PeerChoice peer) throws Exception {
    TestPki pki = TestPki.create(dir.resolve("pki"));
    TlsFiles tls = pki.controller();
    ControllerConfig config = ControllerConfig.withDefaults("127.0.0.1", 0,
        dir.resolve("state"), tls).withSimulation(true)
        .withPeriods(Duration.ofHours(1), Duration.ofHours(1))
        .withIssuing(new ControllerConfig.Issuing(pki.caDirectory(), Duration.ofDays(7)));
    X509Certificate[] chain = TlsMaterial.load(peer.files(pki), true).chain();
    String name = InProcessServerBuilder.generateName();
    InProcessServerBuilder transport = InProcessServerBuilder.forName(name);
    transport.maxInboundMessageSize(config.transport().maxInboundMessageBytes());
    transport.addTransportFilter(new ServerTransportFilter() {
      @Override
      public Attributes transportReady(Attributes attributes) {
        return attributes.toBuilder().set(Grpc.TRANSPORT_ATTR_SSL_SESSION,
            new PeerSession(chain)).build();
      }
    });
    MutableClock clock = MutableClock.startingNow();
    ControllerServer server = ControllerServer.start(config, clock,
        ControllerTls.load(config, clock), transport);
    return new InProcessController(pki, server, name);
  }

  /** Who the callers are, e.g. {@code pki -> pki.operator("fuzz")}. */
  interface PeerChoice {
    TlsFiles files(TestPki pki) throws Exception;
  }

  ManagedChannel channel() {
    return InProcessChannelBuilder.forName(name).build();
  }

  @Override
  public void close() {
    server.close();
  }

  /** Only what the authorization interceptor reads: the peer's certificate chain. */
  private record PeerSession(X509Certificate[] chain) implements SSLSession {
    @Override
    public Certificate[] getPeerCertificates() {
      return chain.clone();
    }

    @Override
    public byte[] getId() {
      return new byte[0];
    }

    @Override
    public SSLSessionContext getSessionContext() {
      return null;
    }

    @Override
    public long getCreationTime() {
      return 0;
    }

    @Override
    public long getLastAccessedTime() {
      return 0;
    }

    @Override
    public void invalidate() {}

    @Override
    public boolean isValid() {
      return true;
    }

    @Override
    public void putValue(String name, Object value) {}

    @Override
    public Object getValue(String name) {
      return null;
    }

    @Override
    public void removeValue(String name) {}

    @Override
    public String[] getValueNames() {
      return new String[0];
    }

    @Override
    public Certificate[] getLocalCertificates() {
      return null;
    }

    @Override
    public Principal getPeerPrincipal() {
      return chain[0].getSubjectX500Principal();
    }

    @Override
    public Principal getLocalPrincipal() {
      return null;
    }

    @Override
    public String getCipherSuite() {
      return "TLS_AES_128_GCM_SHA256";
    }

    @Override
    public String getProtocol() {
      return "TLSv1.3";
    }

    @Override
    public String getPeerHost() {
      return "localhost";
    }

    @Override
    public int getPeerPort() {
      return 0;
    }

    @Override
    public int getPacketBufferSize() {
      return 16 * 1024;
    }

    @Override
    public int getApplicationBufferSize() {
      return 16 * 1024;
    }
  }
}
