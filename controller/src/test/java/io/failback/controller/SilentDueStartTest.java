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
import io.failback.proto.v1.Register;
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
 * timeout, five minutes, again at every sweep): no job of any VM of any host could start; and
 * the sweep itself, the one that also starts other hosts' due VMs and rolls their disks back.
 */
class SilentDueStartTest {
  private static final String ROGUE_VM = "1b4e28ba-2fa1-11d2-883f-0016d3cca427";
  private static final String OTHER_VM = "2c5f39cb-3ab2-22e3-994a-1127e4ddb538";

  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;
  private ControllerFixture controller;

  /** A host's control stream: answers every RefreshInventory, and starts if it is to. */
  static final class Host implements StreamObserver<ControllerMessage> {
    final CountDownLatch startAsked = new CountDownLatch(1);
    /** Every command the controller sent it. */
    final java.util.Queue<io.failback.proto.v1.Command> commands =
        new java.util.concurrent.ConcurrentLinkedQueue<>();
    final HostInventory inventory;
    final boolean answersStart;
    StreamObserver<AgentMessage> requests;

    Host(String name, String vmId, boolean answersStart) {
      inventory = HostInventory.newBuilder().setHostName(name)
          .setHypervisorKind(io.failback.proto.v1.HypervisorKind.SIMULATED)
          .addVirtualMachines(VirtualMachine.newBuilder().setId(vmId).setName("vm")).build();
      this.answersStart = answersStart;
    }

    synchronized void send(AgentMessage message) {
      requests.onNext(message);
    }

    private void answer(String commandId, boolean inventory) {
      CommandResult.Builder result = CommandResult.newBuilder().setCommandId(commandId);
      send(AgentMessage.newBuilder().setCommandResult(inventory ? result.setInventory(
          this.inventory) : result).build());
    }

    @Override
    public void onNext(ControllerMessage message) {
      if (message.hasCommand()) {
        commands.add(message.getCommand());
      }
      if (message.getCommand().hasRefreshInventory()) {
        answer(message.getCommand().getCommandId(), true);
      } else if (message.getCommand().hasStartVm()) {
        startAsked.countDown();
        if (answersStart) {
          answer(message.getCommand().getCommandId(), false);
        }
      }
    }

    @Override
    public void onError(Throwable t) {}

    @Override
    public void onCompleted() {}
  }

  /** Connects {@code name}, beating every 50 ms, with its VM's start due. */
  private Host connect(String name, String vmId, boolean answersStart) throws Exception {
    Host host = connect(controller, cleanup, name, vmId, answersStart);
    ProtectedItems items = controller.server.protectedItems();
    items.create(vmId, "vm-of-" + name, name);
    items.transition(vmId, null, ProtectionState.INITIAL_REPLICATION, b -> { });
    items.transition(vmId, null, ProtectionState.PROTECTED,
        b -> b.setCloudVmId("cloud-" + vmId).setOnPremStartDue(true));
    return host;
  }

  /** Connects {@code name} reporting VM {@code vmId}, beating every 50 ms. */
  static Host connect(ControllerFixture controller, GrpcCleanup cleanup, String name,
      String vmId, boolean answersStart) throws Exception {
    ManagedChannel channel = controller.channel(controller.pki.agent(name));
    cleanup.register(channel::shutdownNow);
    Host host = new Host(name, vmId, answersStart);
    host.requests = AgentServiceGrpc.newStub(channel).connect(host);
    host.send(AgentMessage.newBuilder().setRegister(Register.newBuilder()
        .setInventory(host.inventory).setAgentInstanceId(name)).build());
    ScheduledExecutorService beats = Executors.newSingleThreadScheduledExecutor();
    cleanup.register(beats::shutdownNow);
    beats.scheduleWithFixedDelay(() -> host.send(AgentMessage.newBuilder().setHeartbeat(
        Heartbeat.getDefaultInstance()).build()), 50, 50, TimeUnit.MILLISECONDS);
    return host;
  }

  @Test
  void aStartTheHostNeverAnswersHoldsBackNoOtherJob() throws Exception {
    controller = cleanup.register(new ControllerFixture(dir).start());
    Host rogue = connect("hv-66", ROGUE_VM, false);
    assertTrue(rogue.startAsked.await(20, TimeUnit.SECONDS), "the due start was never sent");

    assertLaunchesGoOn(controller);
  }

  /** Any launch takes the lock: one for a VM nobody reports is refused at once. */
  static void assertLaunchesGoOn(ControllerFixture controller) throws Exception {
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
          + " answer to a command it never answers");
    }
    assertTrue(refused != null && !(refused instanceof InterruptedException),
        "the launch was expected to be refused: " + refused);
  }

  @Test
  void anotherHostsDueStartIsSentWhileTheRoguesWaits() throws Exception {
    controller = cleanup.register(new ControllerFixture(dir).start());
    Host rogue = connect("hv-66", ROGUE_VM, false);
    assertTrue(rogue.startAsked.await(20, TimeUnit.SECONDS), "the due start was never sent");
    Host other = connect("hv-02", OTHER_VM, true);
    assertTrue(other.startAsked.await(10, TimeUnit.SECONDS), "hv-02's due start waited 10 s,"
        + " and on, for the rogue's answer to its own");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (controller.server.protectedItems().get(OTHER_VM).getOnPremStartDue()) {
      assertTrue(System.nanoTime() < deadline, "hv-02's answered start was never recorded");
      Thread.sleep(20);
    }
    assertTrue(controller.server.protectedItems().get(ROGUE_VM).getOnPremStartDue());
  }
}
