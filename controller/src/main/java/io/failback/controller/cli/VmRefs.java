package io.failback.controller.cli;

import io.failback.proto.v1.ListProtectedItemsRequest;
import io.failback.proto.v1.ListVirtualMachinesRequest;
import io.failback.proto.v1.ListVirtualMachinesResponse;
import io.failback.proto.v1.ProtectedItem;
import io.failback.proto.v1.VirtualMachine;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * VMs as operators name them on the command line, as kubectl and gh take names: the VM's id,
 * a unique prefix of it (4 characters or more), or its name when one VM has it. The API takes
 * ids only; the CLI resolves the rest from the hosts' inventories and the protected items.
 */
final class VmRefs {
  static final int MIN_PREFIX = 4;

  private VmRefs() {}

  /**
   * The ids {@code refs} name, in order. A reference that names nothing known goes to the
   * controller as it is, which then says why it knows no such VM.
   *
   * @throws IllegalArgumentException when a reference names several VMs, listing them
   */
  static List<String> resolve(OperatorClient client, List<String> refs) {
    if (refs == null || refs.isEmpty()) {
      return refs == null ? List.of() : refs;
    }
    Map<String, String> known = known(client);
    List<String> ids = new ArrayList<>();
    for (String ref : refs) {
      ids.add(resolve(known, ref));
    }
    return ids;
  }

  /** One reference against the known VMs (id to name). */
  static String resolve(Map<String, String> known, String ref) {
    for (String id : known.keySet()) {
      if (id.equalsIgnoreCase(ref)) {
        return id;
      }
    }
    List<String> byName = known.entrySet().stream()
        .filter(e -> e.getValue().equalsIgnoreCase(ref)).map(Map.Entry::getKey).toList();
    if (byName.size() == 1) {
      return byName.get(0);
    }
    if (byName.size() > 1) {
      throw ambiguous(known, ref, byName, "are named");
    }
    if (ref.length() >= MIN_PREFIX) {
      String lower = ref.toLowerCase(Locale.ROOT);
      List<String> byPrefix = known.keySet().stream()
          .filter(id -> id.toLowerCase(Locale.ROOT).startsWith(lower)).toList();
      if (byPrefix.size() == 1) {
        return byPrefix.get(0);
      }
      if (byPrefix.size() > 1) {
        throw ambiguous(known, ref, byPrefix, "have ids starting with");
      }
    }
    return ref;
  }

  private static IllegalArgumentException ambiguous(Map<String, String> known, String ref,
      List<String> ids, String how) {
    return new IllegalArgumentException(ids.size() + " VMs " + how + " '" + ref + "': "
        + ids.stream().map(id -> known.get(id) + " (" + id + ")")
            .collect(Collectors.joining(", ")) + "; give more of the id (failback vms lists"
        + " them)");
  }

  /** Every VM the hosts report and every protected item's VM, id to name. */
  private static Map<String, String> known(OperatorClient client) {
    Map<String, String> known = new LinkedHashMap<>();
    String token = "";
    do {
      ListVirtualMachinesResponse page = client.inventory().listVirtualMachines(
          ListVirtualMachinesRequest.newBuilder().setPageToken(token).build());
      for (VirtualMachine vm : page.getVirtualMachinesList()) {
        known.putIfAbsent(vm.getId(), vm.getName());
      }
      token = page.getNextPageToken();
    } while (!token.isEmpty());
    for (ProtectedItem item : client.failover().listProtectedItems(
        ListProtectedItemsRequest.getDefaultInstance()).getItemsList()) {
      known.putIfAbsent(item.getVmId(), item.getVmName());
    }
    return known;
  }
}
