package io.failback.controller;

import io.failback.agent.encryption.EncryptionCertificateStore;
import io.failback.agent.grpc.ControlSession;
import io.failback.agent.hyperv.simulated.SimulatedHypervisor;
import io.failback.agent.hyperv.state.GuardedHypervisor;
import io.failback.common.grpc.TlsMaterial;
import io.failback.common.retry.Backoff;
import io.failback.common.sync.DigestSets;
import io.failback.common.tls.TlsFiles;
import io.failback.proto.v1.Registered;
import io.failback.proto.v1.SyncDiskRequest;
import io.failback.proto.v1.SyncDiskResponse;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingClientCallListener;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The real agent (control session, sync runner, simulated hypervisor, encryption store) wired
 * as {@code AgentClient.start} wires it, except that its channel records the serialized bytes
 * of every data-stream message both ways: what each side hands to TLS.
 *
 * <p>A TCP proxy would see only TLS records, in encrypted and plain sessions alike; the
 * question is what a party that terminates TLS (a proxy, a load balancer) could read.
 */
final class TappedAgent implements AutoCloseable {
  final BlockingQueue<Registered> registrations = new LinkedBlockingQueue<>();
  private final ByteArrayOutputStream received = new ByteArrayOutputStream();
  private final ByteArrayOutputStream sent = new ByteArrayOutputStream();
  private final ManagedChannel channel;
  private final ScheduledExecutorService scheduler;
  private final ControlSession session;

  TappedAgent(String target, TlsFiles tls, Path hostDir) throws Exception {
    Path state = hostDir.resolve(".agent");
    channel = Grpc.newChannelBuilder(target, TlsMaterial.load(tls, true).channelCredentials())
        .intercept(new Tap()).build();
    scheduler = Executors.newSingleThreadScheduledExecutor();
    session = new ControlSession(io.failback.agent.grpc.AgentChannels.sharing(channel),
        new GuardedHypervisor(
        new SimulatedHypervisor(hostDir), state),
        "test", scheduler,
        new Backoff(Duration.ofMillis(50), Duration.ofMillis(200), 2.0, 0.2, new Random()),
        Clock.systemUTC(), new ControlSession.SessionListener() {
          @Override
          public void registered(Registered registered) {
            registrations.add(registered);
          }
        }, new DigestSets(state.resolve("digests")),
        new EncryptionCertificateStore(state.resolve("encryption")),
        new io.failback.common.metrics.SyncMeter(
            new io.micrometer.core.instrument.simple.SimpleMeterRegistry()));
    session.start();
    if (registrations.poll(20, TimeUnit.SECONDS) == null) {
      throw new AssertionError("agent never registered");
    }
  }

  /** The bytes of every SyncDisk message received since the last call, and forgets them. */
  byte[] takeReceived() {
    return take(received);
  }

  /** The bytes of every SyncDisk message sent since the last call, and forgets them. */
  byte[] takeSent() {
    return take(sent);
  }

  private static byte[] take(ByteArrayOutputStream captured) {
    synchronized (captured) {
      byte[] bytes = captured.toByteArray();
      captured.reset();
      return bytes;
    }
  }

  private static void record(ByteArrayOutputStream captured, byte[] bytes) {
    synchronized (captured) {
      captured.writeBytes(bytes);
    }
  }

  @Override
  public void close() throws InterruptedException {
    session.close();
    scheduler.shutdownNow();
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  /** Records each SyncDisk message as serialized: responses before the agent sees them. */
  private final class Tap implements ClientInterceptor {
    @Override
    public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method,
        CallOptions options, Channel next) {
      return new ForwardingClientCall.SimpleForwardingClientCall<>(
          next.newCall(method, options)) {
        @Override
        public void sendMessage(Q message) {
          if (message instanceof SyncDiskRequest request) {
            record(sent, request.toByteArray());
          }
          super.sendMessage(message);
        }

        @Override
        public void start(Listener<R> listener, Metadata headers) {
          super.start(new ForwardingClientCallListener.SimpleForwardingClientCallListener<>(
              listener) {
            @Override
            public void onMessage(R message) {
              if (message instanceof SyncDiskResponse response) {
                record(received, response.toByteArray());
              }
              super.onMessage(message);
            }
          }, headers);
        }
      };
    }
  }
}
