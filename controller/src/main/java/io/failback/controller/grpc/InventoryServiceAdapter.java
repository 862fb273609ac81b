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
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** gRPC adapter for {@code failback.v1.InventoryService}: what the agents reported. */
public final class InventoryServiceAdapter extends InventoryServiceGrpc.InventoryServiceImplBase {
  private final AgentRegistry registry;

  public InventoryServiceAdapter(AgentRegistry registry) {
    this.registry = registry;
  }

  @Override
  public void listHosts(ListHostsRequest request, StreamObserver<ListHostsResponse> responses) {
    Answers.answer(responses, () -> {
      int limit = PageTokens.pageSize(request.getPageSize(), 100, 1000, "page_size");
      String after = PageTokens.decode(request.getPageToken());
      ListHostsResponse.Builder page = ListHostsResponse.newBuilder();
      int bytes = 0;
      for (Host host : registry.hosts()) {
        if (host.getName().compareTo(after) <= 0) {
          continue;
        }
        int size = host.getSerializedSize() + 8;
        if (page.getHostsCount() == limit
            || (page.getHostsCount() > 0 && bytes + size > PageTokens.MAX_PAGE_BYTES)) {
          String last = page.getHosts(page.getHostsCount() - 1).getName();
          return page.setNextPageToken(PageTokens.encode(last)).build();
        }
        page.addHosts(host);
        bytes += size;
      }
      return page.build();
    });
  }

  @Override
  public void getHost(GetHostRequest request, StreamObserver<Host> responses) {
    Answers.answer(responses, () -> findHost(request.getHostName()));
  }

  @Override
  public void listVirtualMachines(ListVirtualMachinesRequest request,
      StreamObserver<ListVirtualMachinesResponse> responses) {
    Answers.answer(responses, () -> {
      int limit = PageTokens.pageSize(request.getPageSize(), 1000, 10000, "page_size");
      String after = PageTokens.decode(request.getPageToken());
      List<Host> hosts = request.getHostName().isEmpty()
          ? registry.hosts() : List.of(findHost(request.getHostName()));
      ListVirtualMachinesResponse.Builder page = ListVirtualMachinesResponse.newBuilder();
      int bytes = 0;
      String last = "";
      for (Host host : hosts) {
        for (VirtualMachine vm : host.getInventory().getVirtualMachinesList().stream()
            .sorted(Comparator.comparing(v -> v.getId().toLowerCase(Locale.ROOT))).toList()) {
          // NUL sorts before every character a host name can hold: keys sort as (host, id).
          String key = host.getName() + "\u0000" + vm.getId().toLowerCase(Locale.ROOT);
          if (key.compareTo(after) <= 0) {
            continue;
          }
          VirtualMachine shown = vm.toBuilder().setHostName(host.getName()).build();
          int size = shown.getSerializedSize() + 8;
          if (page.getVirtualMachinesCount() == limit || (page.getVirtualMachinesCount() > 0
              && bytes + size > PageTokens.MAX_PAGE_BYTES)) {
            return page.setNextPageToken(PageTokens.encode(last)).build();
          }
          page.addVirtualMachines(shown);
          bytes += size;
          last = key;
        }
      }
      return page.build();
    });
  }

  @Override
  public void getVirtualMachine(GetVirtualMachineRequest request,
      StreamObserver<VirtualMachine> responses) {
    Answers.answer(responses, () -> {
      VmId vmId = OperatorRequests.vmId("vm_id", request.getVmId());
      Optional<String> owner = registry.ownerOf(vmId.value());
      Optional<VirtualMachine> vm = owner.isEmpty() ? Optional.empty()
          : registry.host(owner.get()).stream()
              .flatMap(h -> h.getInventory().getVirtualMachinesList().stream())
              .filter(v -> v.getId().equalsIgnoreCase(vmId.value()))
              .map(v -> v.toBuilder().setHostName(owner.get()).build()).findFirst();
      return vm.orElseThrow(() -> Status.NOT_FOUND.withDescription("no host reports a VM with"
          + " id " + vmId + "; list them with ListVirtualMachines").asException());
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
}
