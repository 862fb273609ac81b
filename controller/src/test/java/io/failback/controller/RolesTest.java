package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.DynamicMessage;
import com.google.protobuf.Message;
import io.failback.common.testing.GrpcCleanup;
import io.failback.proto.v1.CloudSimulationServiceGrpc;
import io.failback.proto.v1.FailoverServiceGrpc;
import io.failback.proto.v1.HostServiceGrpc;
import io.failback.proto.v1.InventoryServiceGrpc;
import io.failback.proto.v1.JobServiceGrpc;
import io.failback.proto.v1.ListAuditEventsRequest;
import io.failback.proto.v1.RecoveryPlanServiceGrpc;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.ProtoMethodDescriptorSupplier;
import io.grpc.stub.ClientCalls;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each role against each method of each operator service: a read-only operator
 * ({@code operator-readonly/NAME}) may list, get and watch everywhere it is admitted and is
 * refused every other call, recorded in the audit trail; the simulation service is for the
 * simulator role only ({@code simulator/NAME}), which reaches nothing else; an agent reaches
 * none of them; an operator reaches every one but the simulation.
 */
class RolesTest {
  private static final List<ServiceDescriptor> OPERATOR_SERVICES = List.of(
      InventoryServiceGrpc.getServiceDescriptor(), HostServiceGrpc.getServiceDescriptor(),
      RecoveryPlanServiceGrpc.getServiceDescriptor(), FailoverServiceGrpc.getServiceDescriptor(),
      JobServiceGrpc.getServiceDescriptor(), CloudSimulationServiceGrpc.getServiceDescriptor(),
      io.failback.proto.v1.BandwidthServiceGrpc.getServiceDescriptor());

  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;

  @Test
  void eachRoleAgainstEachMethodOfEachOperatorService() throws Exception {
    ControllerFixture controller = cleanup.register(new ControllerFixture(dir));
    controller.start();
    ManagedChannel readOnly = closing(controller.channel(
        controller.pki.readOnlyOperator("auditor")));
    ManagedChannel operator = closing(controller.channel(
        controller.pki.operator("ops")));
    ManagedChannel agent = closing(controller.channel(controller.pki.agent("hv-01")));
    ManagedChannel simulator = closing(controller.channel(controller.pki.simulator("guests")));
    int reads = 0;
    int writes = 0;
    for (ServiceDescriptor service : OPERATOR_SERVICES) {
      boolean simulation = service.getName().equals(CloudSimulationServiceGrpc.SERVICE_NAME);
      for (MethodDescriptor<?, ?> method : service.getMethods()) {
        String name = method.getBareMethodName();
        boolean read = name.startsWith("List") || name.startsWith("Get")
            || name.startsWith("Watch");
        Status.Code asReadOnly = call(readOnly, method);
        if (read && !simulation) {
          reads++;
          assertNotEquals(Status.Code.PERMISSION_DENIED, asReadOnly, method.getFullMethodName());
          assertNotEquals(Status.Code.UNAUTHENTICATED, asReadOnly, method.getFullMethodName());
        } else {
          writes++;
          assertEquals(Status.Code.PERMISSION_DENIED, asReadOnly, method.getFullMethodName());
        }
        assertEquals(Status.Code.PERMISSION_DENIED, call(agent, method),
            "an agent called " + method.getFullMethodName());
        Status.Code asSimulator = call(simulator, method);
        if (simulation) {
          assertNotEquals(Status.Code.PERMISSION_DENIED, asSimulator, method.getFullMethodName());
          assertEquals(Status.Code.PERMISSION_DENIED, call(operator, method),
              "an operator drove the simulation: " + method.getFullMethodName());
        } else {
          assertEquals(Status.Code.PERMISSION_DENIED, asSimulator,
              "a simulator called " + method.getFullMethodName());
        }
        if (read && !simulation) {
          Status.Code asOperator = call(operator, method);
          assertNotEquals(Status.Code.PERMISSION_DENIED, asOperator, method.getFullMethodName());
        }
      }
    }
    assertTrue(reads >= 11 && writes >= 16, reads + " reads, " + writes + " changes");

    var attempts = HostServiceGrpc.newBlockingStub(operator).listAuditEvents(
        ListAuditEventsRequest.newBuilder().setActor("spiffe://failback.test/operator-readonly"
            + "/auditor").setLimit(1000).build()).getEventsList();
    assertTrue(attempts.stream().anyMatch(e -> e.getAction().equals(
        "failback.v1.FailoverService/PlannedFailover")
        && e.getDetail().contains("PERMISSION_DENIED")), attempts.toString());

    // What a refused read-only operator asked for is in the trail, under the VM it named.
    String vm = "0f1e0000-0000-4000-8000-0000000000aa";
    StatusRuntimeException refused = org.junit.jupiter.api.Assertions.assertThrows(
        StatusRuntimeException.class, () -> FailoverServiceGrpc.newBlockingStub(readOnly)
            .commit(io.failback.proto.v1.CommitRequest.newBuilder().addVmIds(vm).build()));
    assertEquals(Status.Code.PERMISSION_DENIED, refused.getStatus().getCode());
    var aboutVm = HostServiceGrpc.newBlockingStub(operator).listAuditEvents(
        ListAuditEventsRequest.newBuilder().setTarget("vm/" + vm).build()).getEventsList();
    assertEquals(1, aboutVm.size(), aboutVm.toString());
    assertTrue(aboutVm.get(0).getActor().endsWith("/operator-readonly/auditor")
        && aboutVm.get(0).getDetail().contains("PERMISSION_DENIED"), aboutVm.toString());

    // HostService too, which records its own changes: a read-only operator's attempt once.
    StatusRuntimeException fence = org.junit.jupiter.api.Assertions.assertThrows(
        StatusRuntimeException.class, () -> HostServiceGrpc.newBlockingStub(readOnly)
            .fenceHost(io.failback.proto.v1.FenceHostRequest.newBuilder()
                .setHostName("hv-07").build()));
    assertEquals(Status.Code.PERMISSION_DENIED, fence.getStatus().getCode());
    var aboutHost = HostServiceGrpc.newBlockingStub(operator).listAuditEvents(
        ListAuditEventsRequest.newBuilder().setTarget("host/hv-07").build()).getEventsList();
    assertEquals(1, aboutHost.size(), aboutHost.toString());
    assertEquals("failback.v1.HostService/FenceHost", aboutHost.get(0).getAction());
    assertTrue(aboutHost.get(0).getActor().endsWith("/operator-readonly/auditor")
        && aboutHost.get(0).getDetail().contains("PERMISSION_DENIED"), aboutHost.toString());
  }

  /** Calls {@code method} with an empty request; returns how it ended (OK included). */
  @SuppressWarnings("unchecked")
  private static Status.Code call(ManagedChannel channel, MethodDescriptor<?, ?> method) {
    var input = ((ProtoMethodDescriptorSupplier) method.getSchemaDescriptor())
        .getMethodDescriptor().getInputType();
    Message request = DynamicMessage.getDefaultInstance(input);
    MethodDescriptor<Message, Object> typed = (MethodDescriptor<Message, Object>) method;
    CallOptions options = CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.SECONDS);
    try {
      if (method.getType() == MethodDescriptor.MethodType.SERVER_STREAMING) {
        ClientCalls.blockingServerStreamingCall(channel, typed, options, request).hasNext();
      } else {
        ClientCalls.blockingUnaryCall(channel, typed, options, request);
      }
      return Status.Code.OK;
    } catch (StatusRuntimeException e) {
      return e.getStatus().getCode();
    }
  }

  private io.grpc.ManagedChannel closing(io.grpc.ManagedChannel channel) {
    cleanup.register(() -> channel.shutdownNow());
    return channel;
  }
}
