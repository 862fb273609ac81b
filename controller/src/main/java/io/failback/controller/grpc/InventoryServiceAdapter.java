package io.failback.controller.grpc;

import io.failback.common.ids.HostName;
import io.failback.common.ids.VmId;
import io.failback.controller.agents.AgentRegistry;
import io.failback.controller.store.StoreException;
import io.failback.proto.v1.GetHostRequest;
import io.failback.proto.v1.GetVirtualMachineRequest;
import io.failback.proto.v1.Host;
import io.failback.proto.v1.InventoryServiceGrpc;
import io.failback.proto.v1.ListHostsRequest;
import io.failback.proto.v1.ListHostsResponse;
import io.failback.proto.v1.ListVirtualMachinesRequest;
import io.failback.proto.v1.ListVirtualMachinesResponse;
import io.failback.proto.v1.VirtualMachine;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.Optional;

/** gRPC adapter for {@code failback.v1.InventoryService}: what the agents reported. */
public final class InventoryServiceAdapter extends InventoryServiceGrpc.InventoryServiceImplBase {
  private final AgentRegistry registry;

  public InventoryServiceAdapter(AgentRegistry registry) {
    this.registry = registry;
  }

  @Override
  public void listHosts(ListHostsRequest request, StreamObserver<ListHostsResponse> responses) {
    answer(responses, () -> ListHostsResponse.newBuilder().addAllHosts(registry.hosts()).build());
  }

  @Override
  public void getHost(GetHostRequest request, StreamObserver<Host> responses) {
    answer(responses, () -> findHost(request.getHostName()));
  }

  @Override
  public void listVirtualMachines(ListVirtualMachinesRequest request,
      StreamObserver<ListVirtualMachinesResponse> responses) {
    answer(responses, () -> {
      List<Host> hosts = request.getHostName().isEmpty()
          ? registry.hosts() : List.of(findHost(request.getHostName()));
      // findHost parsed the name: an invalid one never reaches the registry.
      ListVirtualMachinesResponse.Builder response = ListVirtualMachinesResponse.newBuilder();
      hosts.forEach(h -> response.addAllVirtualMachines(h.getInventory().getVirtualMachinesList()));
      return response.build();
    });
  }

  @Override
  public void getVirtualMachine(GetVirtualMachineRequest request,
      StreamObserver<VirtualMachine> responses) {
    answer(responses, () -> {
      VmId vmId = OperatorRequests.vmId("vm_id", request.getVmId());
      for (Host host : registry.hosts()) {
        for (VirtualMachine vm : host.getInventory().getVirtualMachinesList()) {
          if (vm.getId().equalsIgnoreCase(vmId.value())) {
            return vm;
          }
        }
      }
      throw Status.NOT_FOUND.withDescription("no host reports a VM with id " + vmId
          + "; list them with ListVirtualMachines").asException();
    });
  }

  private Host findHost(String hostName) throws StoreException, StatusException {
    HostName name = OperatorRequests.hostName("host_name", hostName);
    Optional<Host> host = registry.host(name.value());
    if (host.isEmpty()) {
      throw Status.NOT_FOUND.withDescription("no agent has registered host '" + name
          + "'; list them with ListHosts").asException();
    }
    return host.get();
  }

  private interface Answer<T> {
    T get() throws StoreException, StatusException;
  }

  private static <T> void answer(StreamObserver<T> responses, Answer<T> answer) {
    T value;
    try {
      value = answer.get();
    } catch (StatusException e) {
      responses.onError(e);
      return;
    } catch (StoreException e) {
      responses.onError(Status.UNAVAILABLE
          .withDescription("controller store unavailable: " + e.getMessage()).asException());
      return;
    }
    responses.onNext(value);
    responses.onCompleted();
  }
}
