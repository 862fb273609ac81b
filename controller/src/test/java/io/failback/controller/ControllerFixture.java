package io.failback.controller;

import io.failback.common.grpc.TlsMaterial;
import io.failback.common.testing.MutableClock;
import io.failback.common.testing.TestPki;
import io.failback.common.tls.TlsFiles;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** A real controller on a localhost port with a throw-away PKI, for tests. */
final class ControllerFixture implements AutoCloseable {
  final TestPki pki;
  final MutableClock clock = MutableClock.startingNow();
  final Path stateDir;
  final TlsFiles controllerTls;
  Duration heartbeatInterval = Duration.ofMillis(200);
  Duration heartbeatTimeout = Duration.ofSeconds(2);
  Duration reloadPeriod = Duration.ofHours(1);
  CloudChoice cloud = CloudChoice.localDirectory();
  /**
   * Short, so that a test whose agent never comes back sees its job fail soon; long enough for
   * an agent JVM restarting while the other test JVM loads both cores.
   */
  Duration agentReturnTimeout = Duration.ofSeconds(30);
  Duration syncStallTimeout = Duration.ofMinutes(5);
  /** How often protected VMs cycle by themselves: long, so that tests cycle when they mean to. */
  Duration replicationInterval = Duration.ofMinutes(5);
  java.net.InetSocketAddress metricsAddress;
  /** More options of {@code failback-agent run}, for a fixture whose agent is a process. */
  List<String> agentProcessArgs = List.of();
  ControllerServer server;
  /** Where the state is kept; null for controller.db in the state folder. */
  io.failback.controller.store.StoreLocation store;
  LeaseSettings lease = LeaseSettings.DEFAULTS;

  ControllerFixture(Path dir) throws Exception {
    this.pki = TestPki.create(dir.resolve("pki"));
    this.stateDir = dir.resolve("state");
    this.controllerTls = pki.controller();
  }

  /**
   * A second controller beside {@code peer}: the same PKI, state folder (and so cloud folder),
   * store and settings, as a standby of it.
   */
  ControllerFixture(ControllerFixture peer) {
    this(peer, peer.stateDir);
  }

  /** A second controller beside {@code peer}, with its own state folder. */
  ControllerFixture(ControllerFixture peer, Path stateDir) {
    this.pki = peer.pki;
    this.stateDir = stateDir;
    this.controllerTls = peer.controllerTls;
    this.heartbeatInterval = peer.heartbeatInterval;
    this.heartbeatTimeout = peer.heartbeatTimeout;
    this.reloadPeriod = peer.reloadPeriod;
    this.cloud = peer.cloud;
    this.agentReturnTimeout = peer.agentReturnTimeout;
    this.syncStallTimeout = peer.syncStallTimeout;
    this.replicationInterval = peer.replicationInterval;
    this.store = peer.store;
    this.lease = peer.lease;
  }

  ControllerConfig config(int port) {
    return ControllerConfig.withDefaults("127.0.0.1", port, stateDir, controllerTls)
        .withHeartbeat(heartbeatInterval, heartbeatTimeout)
        .withPeriods(reloadPeriod, Duration.ofMillis(100)).withCloud(cloud)
        .withAgentReturnTimeout(agentReturnTimeout).withSyncStallTimeout(syncStallTimeout)
        .withMetricsAddress(metricsAddress).withStore(store).withLease(lease)
        .withReplicationInterval(replicationInterval);
  }

  ControllerFixture start() throws Exception {
    return start(0);
  }

  ControllerFixture start(int port) throws Exception {
    server = ControllerServer.start(config(port), clock);
    return this;
  }

  /** Stops the controller and starts it again on the same port, without waiting for agents. */
  ControllerFixture restart() throws Exception {
    int port = port();
    close();
    return start(port);
  }

  int port() {
    return server.port();
  }

  String target() {
    return "localhost:" + port();
  }

  /** A channel presenting {@code identity}, verifying the controller's host name. */
  ManagedChannel channel(TlsFiles identity) throws Exception {
    return channel(TlsMaterial.load(identity, true).channelCredentials());
  }

  ManagedChannel channel(ChannelCredentials credentials) {
    return Grpc.newChannelBuilder(target(), credentials).build();
  }

  @Override
  public void close() {
    if (server != null) {
      server.close();
    }
  }
}
