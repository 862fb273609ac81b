package io.failback.controller;

import io.failback.agent.encryption.EncryptionCertificateStore;
import io.failback.agent.grpc.ControlSession;
import io.failback.agent.hyperv.ForwardingHypervisor;
import io.failback.agent.hyperv.simulated.SimulatedHypervisor;
import io.failback.agent.hyperv.state.GuardedHypervisor;
import io.failback.common.grpc.TlsMaterial;
import io.failback.common.retry.Backoff;
import io.failback.common.sync.DigestSets;
import io.failback.common.tls.TlsFiles;
import io.failback.proto.v1.AgentMessage;
import io.failback.proto.v1.HostInventory;
import io.failback.proto.v1.SyncDiskRequest;
import io.failback.proto.v1.VirtualMachine;
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
import io.grpc.Status;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;

/**
 * A compromised Hyper-V host: the project's own agent (control session, sync runner, simulated
 * hypervisor) whose registered inventory passes through {@code tamper} on its way to the wire
 * (past the agent's own checks, as a modified agent would send it), and whose data streams
 * can open a lane number of its choosing and send frames of its making ({@link #frames}). It
 * records every hypervisor call the controller made it do and every status its data streams
 * ended with.
 */
final class RogueAgent implements AutoCloseable {
  final AtomicInteger hypervisorCalls = new AtomicInteger();
  final List<Status> syncStatuses = new CopyOnWriteArrayList<>();
  /** While set, its reports of sync sessions never leave: as if it died before sending them. */
  volatile boolean dropSyncReports;
  /** Sync reports dropped: each comes once its session's every batch was acknowledged. */
  final java.util.concurrent.atomic.AtomicInteger droppedSyncReports =
      new java.util.concurrent.atomic.AtomicInteger();
  /** Rewrites every protocol frame its data streams send, after its own engine made it. */
  volatile UnaryOperator<io.failback.proto.v1.SyncFrame> frames = UnaryOperator.identity();
  /** Told of every data-stream message once sent, with its call (which it may cancel). */
  volatile java.util.function.BiConsumer<SyncDiskRequest, ClientCall<?, ?>> sent = (m, c) -> { };
  private final ManagedChannel channel;
  private final ScheduledExecutorService scheduler;
  private final ControlSession session;

  RogueAgent(String target, TlsFiles tls, Path hostDir, UnaryOperator<HostInventory> tamper,
      Integer laneOverride) throws Exception {
    Path state = hostDir.resolve(".agent");
    channel = Grpc.newChannelBuilder(target, TlsMaterial.load(tls, true).channelCredentials())
        .intercept(new Lanes(laneOverride, tamper)).build();
    scheduler = Executors.newSingleThreadScheduledExecutor();
    ForwardingHypervisor driver = new ForwardingHypervisor(new SimulatedHypervisor(hostDir)) {
      @Override
      public void stopVm(String vmId, boolean turnOff) throws IOException {
        hypervisorCalls.incrementAndGet();
        super.stopVm(vmId, turnOff);
      }

      @Override
      public void startVm(String vmId) throws IOException {
        hypervisorCalls.incrementAndGet();
        super.startVm(vmId);
      }

      @Override
      public void checkDiskAccess(String vmId, String diskPath, boolean write)
          throws IOException {
        hypervisorCalls.incrementAndGet();
        super.checkDiskAccess(vmId, diskPath, write);
      }

      @Override
      public VirtualMachine createVm(io.failback.agent.hyperv.NewVm spec) throws IOException {
        hypervisorCalls.incrementAndGet();
        return super.createVm(spec);
      }
    };
    session = new ControlSession(io.failback.agent.grpc.AgentChannels.sharing(channel),
        new GuardedHypervisor(driver, state), "rogue",
        scheduler, new Backoff(Duration.ofMillis(50), Duration.ofMillis(200), 2.0, 0.2,
            new Random()), Clock.systemUTC(), new ControlSession.SessionListener() {},
        new DigestSets(state.resolve("digests")),
        new EncryptionCertificateStore(state.resolve("encryption")),
        new io.failback.common.metrics.SyncMeter(
            new io.micrometer.core.instrument.simple.SimpleMeterRegistry()));
    session.start();
  }

  /** The rogue's channel to the controller, for calls of the test's own making. */
  Channel channel() {
    return channel;
  }

  @Override
  public void close() throws InterruptedException {
    session.close();
    scheduler.shutdownNow();
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  /** Rewrites the lane of every SyncOpen, and records how each data stream ended. */
  private final class Lanes implements ClientInterceptor {
    private final Integer lane;
    private final UnaryOperator<HostInventory> tamper;

    Lanes(Integer lane, UnaryOperator<HostInventory> tamper) {
      this.lane = lane;
      this.tamper = tamper;
    }

    @Override
    public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method,
        CallOptions options, Channel next) {
      return new ForwardingClientCall.SimpleForwardingClientCall<>(
          next.newCall(method, options)) {
        @Override
        @SuppressWarnings("unchecked")
        public void sendMessage(Q message) {
          // After the agent's own checks: what a modified agent would put on the wire.
          if (message instanceof AgentMessage agent && agent.hasRegister()) {
            message = (Q) agent.toBuilder().setRegister(agent.getRegister().toBuilder()
                .setInventory(tamper.apply(agent.getRegister().getInventory()))).build();
          }
          if (message instanceof AgentMessage agent && agent.getCommandResult().hasInventory()) {
            message = (Q) agent.toBuilder().setCommandResult(agent.getCommandResult()
                .toBuilder().setInventory(tamper.apply(agent.getCommandResult()
                    .getInventory()))).build();
          }
          if (dropSyncReports && message instanceof AgentMessage agent
              && agent.getCommandResult().hasSyncReport()) {
            droppedSyncReports.incrementAndGet();
            return;
          }
          if (message instanceof SyncDiskRequest request && request.hasFrame()) {
            message = (Q) request.toBuilder().setFrame(frames.apply(request.getFrame())).build();
          }
          if (lane != null && message instanceof SyncDiskRequest request && request.hasOpen()) {
            message = (Q) request.toBuilder().setOpen(request.getOpen().toBuilder()
                .setLane(lane)).build();
          }
          super.sendMessage(message);
          if (message instanceof SyncDiskRequest request) {
            sent.accept(request, this);
          }
        }

        @Override
        public void start(Listener<R> listener, Metadata headers) {
          boolean sync = method.getFullMethodName().endsWith("/SyncDisk");
          super.start(new ForwardingClientCallListener.SimpleForwardingClientCallListener<>(
              listener) {
            @Override
            public void onClose(Status status, Metadata trailers) {
              if (sync) {
                syncStatuses.add(status);
              }
              super.onClose(status, trailers);
            }
          }, headers);
        }
      };
    }
  }
}
