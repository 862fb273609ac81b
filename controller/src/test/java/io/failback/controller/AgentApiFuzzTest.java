package io.failback.controller;

import io.failback.common.testing.ArbitraryMessages;
import io.failback.common.testing.RawCalls;
import io.failback.proto.v1.AgentMessage;
import io.failback.proto.v1.AgentServiceGrpc;
import io.failback.proto.v1.CertificateServiceGrpc;
import io.failback.proto.v1.RenewCertificateRequest;
import io.failback.proto.v1.HostInventory;
import io.failback.proto.v1.HypervisorKind;
import io.failback.proto.v1.Register;
import io.failback.proto.v1.SyncDiskRequest;
import io.failback.proto.v1.VirtualMachine;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The agent API fed what a compromised host could send (random control-stream messages before
 * and after a valid registration, random data-stream opens and frames, bytes that do not
 * parse), through the controller's real wiring as agent hv-01: every stream the controller
 * ends is ended with a judgement, never UNKNOWN or INTERNAL, and a bounded description.
 * Seeded like {@link OperatorApiFuzzTest} ({@code -Dfuzz.seed=N} replays one).
 */
class AgentApiFuzzTest {
  private static final List<String> IDS = Stream.generate(() -> UUID.randomUUID().toString())
      .limit(3).toList();

  @RegisterExtension
  static final InProcessControllerExtension IN_PROCESS =
      new InProcessControllerExtension(pki -> pki.agent("hv-01"));

  private static ArbitraryMessages messages(com.google.protobuf.Message prototype) {
    return ArbitraryMessages.of(prototype).withField("host_name", List.of("hv-01", "HV-01"))
        .withField("id", IDS).withField("vm_id", IDS).withField("created_vm_id", IDS)
        .repeated(4, 2000).hugeStrings(1 << 20);
  }

  @Test
  void everyEndOfAnAgentStreamIsAJudgementWithABoundedDescription() throws Exception {
    MethodDescriptor<?, ?> connect = AgentServiceGrpc.getConnectMethod();
    MethodDescriptor<?, ?> syncDisk = AgentServiceGrpc.getSyncDiskMethod();
    byte[] register = AgentMessage.newBuilder().setRegister(Register.newBuilder()
        .setAgentInstanceId("fuzz").setInventory(HostInventory.newBuilder().setHostName("hv-01")
            .setHypervisorKind(HypervisorKind.SIMULATED).addVirtualMachines(VirtualMachine
                .newBuilder().setId(IDS.get(0)).setName("vm")))).build().toByteArray();
    for (long seed : OperatorApiFuzzTest.seeds()) {
      Random random = new Random(seed);
      List<byte[]> control = new ArrayList<>();
      if (random.nextBoolean()) {
        control.add(register);
      }
      for (int n = 1 + random.nextInt(3); n > 0; n--) {
        control.add(messages(AgentMessage.getDefaultInstance()).wire(random));
      }
      OperatorApiFuzzTest.assertJudged(connect,
          RawCalls.stream(IN_PROCESS.channel(), connect, control, 2000), seed);
      List<byte[]> data = new ArrayList<>();
      for (int n = 1 + random.nextInt(3); n > 0; n--) {
        data.add(messages(SyncDiskRequest.getDefaultInstance()).wire(random));
      }
      OperatorApiFuzzTest.assertJudged(syncDisk,
          RawCalls.stream(IN_PROCESS.channel(), syncDisk, data, 2000), seed);
      MethodDescriptor<?, ?> renew = CertificateServiceGrpc.getRenewCertificateMethod();
      Status renewal;
      try {
        RawCalls.unary(IN_PROCESS.channel(), renew,
            messages(RenewCertificateRequest.getDefaultInstance()).wire(random), 10_000);
        renewal = Status.OK;
      } catch (RuntimeException e) {
        renewal = Status.fromThrowable(e);
      }
      OperatorApiFuzzTest.assertJudged(renew, renewal, seed);
    }
  }
}
