package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.testing.RawCalls;
import io.failback.proto.v1.AgentMessage;
import io.failback.proto.v1.AgentServiceGrpc;
import io.failback.proto.v1.HostInventory;
import io.failback.proto.v1.HypervisorKind;
import io.failback.proto.v1.Register;
import io.grpc.Status;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Register.agent_instance_id, which the controller stores with the host and compares on every
 * sync session, is checked like the inventory's fields: one of megabytes, or holding control
 * characters, is refused before anything is stored.
 */
class AgentInstanceIdTest {
  @RegisterExtension
  static final InProcessControllerExtension IN_PROCESS =
      new InProcessControllerExtension(pki -> pki.agent("hv-01"));

  private static Status register(String instance) throws Exception {
    byte[] register = AgentMessage.newBuilder().setRegister(Register.newBuilder()
        .setAgentInstanceId(instance).setInventory(HostInventory.newBuilder()
            .setHostName("hv-01").setHypervisorKind(HypervisorKind.SIMULATED)))
        .build().toByteArray();
    return RawCalls.stream(IN_PROCESS.channel(), AgentServiceGrpc.getConnectMethod(),
        List.of(register), 10_000);
  }

  @Test
  void anOversizedOrControlCharacterInstanceIdIsRefusedAndNotStored() throws Exception {
    for (String instance : List.of("i".repeat(3 << 20), "line\nbreak")) {
      Status status = register(instance);
      assertNotNull(status);
      assertTrue(status.getCode() == Status.Code.INVALID_ARGUMENT
          || status.getCode() == Status.Code.RESOURCE_EXHAUSTED, status.toString());
      assertTrue(status.getDescription().contains("agent_instance_id"), status.toString());
      assertTrue(IN_PROCESS.controller().server.registry().agentInstance("hv-01").isEmpty(),
          "the refused instance id was stored");
    }
    assertEquals(Status.Code.OK, register("a0c1b2d3-0000-4000-8000-000000000001").getCode());
    assertEquals("a0c1b2d3-0000-4000-8000-000000000001",
        IN_PROCESS.controller().server.registry().agentInstance("hv-01").orElseThrow());
  }
}
