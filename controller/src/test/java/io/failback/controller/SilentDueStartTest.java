package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.testing.GrpcCleanup;
import io.failback.controller.lifecycle.ProtectedItems;
import io.failback.proto.v1.AgentMessage;
import io.failback.proto.v1.AgentServiceGrpc;
import io.failback.proto.v1.CommandResult;
import io.failback.proto.v1.ControllerMessage;
import io.failback.proto.v1.Heartbeat;
import io.failback.proto.v1.HostInventory;
import io.failback.proto.v1.ProtectionState;
import io.failback.proto.v1.VirtualMachine;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A compromised host with a VM whose start is due (a failover to the cloud was cancelled) that
 * answers the controller's probe at once but never the start. The sweep that starts such VMs
 * held the lock every job is launched under while it waited for that answer (the command
 * timeout, five minutes, again at every sweep): no job of any VM of any host could start.
 */
class SilentDueStartTest {
  private static final String ROGUE = "hv-66";
  private static final String VM = "1b4e28ba-2fa1-11d2-883f-0016d3cca427";

  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;

  /** The rogue's control stream: answers every RefreshInventory, and nothing else. */
  private static final class Rogue implements StreamObserver<ControllerMessage> {
    final CountDownLatch startAsked = new CountDownLatch(1);
    final HostInventory inventory = HostInventory.newBuilder().setHostName(ROGUE)
        .setHypervisorKind(io.failback.proto.v1.HypervisorKind.SIMULATED)
        .addVirtualMachines(VirtualMachine.newBuilder().setId(VM).setName("evil-01")).build();
    StreamObserver<AgentMessage> requests;

    synchronized void send(AgentMessage message) {
      requests.onNext(message);
    }

    @Override
    public void onNext(ControllerMessage message) {
      if (message.getCommand().hasRefreshInventory()) {
        send(AgentMessage.newBuilder().setCommandResult(CommandResult.newBuilder()
            .setCommandId(message.getCommand().getCommandId()).setInventory(inventory))
            .build());
      } else if (message.getCommand().hasStartVm()) {
        startAsked.countDown(); // never answered
      }
    }

    @Override
    public void onError(Throwable t) {}

    @Override
    public void onCompleted() {}
  }

  @Test
  void aStartTheHostNeverAnswersHoldsBackNoOtherJob() throws Exception {
    ControllerFixture controller = cleanup.register(new ControllerFixture(dir).start());
    ManagedChannel channel = controller.channel(controller.pki.agent(ROGUE));
    cleanup.register(channel::shutdownNow);
    Rogue rogue = new Rogue();
    rogue.requests = AgentServiceGrpc.newStub(channel).connect(rogue);
    rogue.send(AgentMessage.newBuilder().setRegister(io.failback.proto.v1.Register.newBuilder()
        .setInventory(rogue.inventory).setAgentInstanceId("rogue")).build());
    ScheduledExecutorService beats = Executors.newSingleThreadScheduledExecutor();
    cleanup.register(beats::shutdownNow);
    beats.scheduleWithFixedDelay(() -> rogue.send(AgentMessage.newBuilder().setHeartbeat(
        Heartbeat.getDefaultInstance()).build()), 50, 50, TimeUnit.MILLISECONDS);

    ProtectedItems items = controller.server.protectedItems();
    items.create(VM, "evil-01", ROGUE);
    items.transition(VM, null, ProtectionState.INITIAL_REPLICATION, b -> { });
    items.transition(VM, null, ProtectionState.PROTECTED,
        b -> b.setCloudVmId("cloud-evil-01").setOnPremStartDue(true));
    assertTrue(rogue.startAsked.await(20, TimeUnit.SECONDS), "the due start was never sent");

    // Any launch takes the lock: one for a VM nobody reports is refused at once.
    CompletableFuture<Throwable> launch = CompletableFuture.supplyAsync(() -> {
      try {
        controller.server.lifecycle().enableProtection(List.of(
            "00000000-0000-0000-0000-000000000001"));
        return null;
      } catch (Exception e) {
        return e;
      }
    });
    Throwable refused;
    try {
      refused = launch.get(10, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      throw new AssertionError("a launch for another VM waited 10 s, and on, for the rogue's"
          + " answer to a start it never gives");
    }
    assertTrue(refused != null && !(refused instanceof InterruptedException),
        "the launch was expected to be refused: " + refused);
  }
}
