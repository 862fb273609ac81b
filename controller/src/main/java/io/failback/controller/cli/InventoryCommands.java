package io.failback.controller.cli;

import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.util.Timestamps;
import io.failback.common.text.ByteText;
import io.failback.proto.v1.GetHostRequest;
import io.failback.proto.v1.GetVirtualMachineRequest;
import io.failback.proto.v1.Host;
import io.failback.proto.v1.ListHostsRequest;
import io.failback.proto.v1.ListVirtualMachinesRequest;
import io.failback.proto.v1.VirtualDisk;
import io.failback.proto.v1.VirtualMachine;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** The inventory commands: hosts, host, vms, vm. */
final class InventoryCommands {
  private InventoryCommands() {}

  /** Shared by the inventory commands: the connection and the output format. */
  abstract static class InventoryCommand implements Callable<Integer> {
    @ParentCommand
    FailbackMain parent;

    @Spec
    CommandSpec spec;

    @Mixin
    OutputOption output = new OutputOption();

    PrintWriter out() {
      return spec.commandLine().getOut();
    }

    /** Whether {@code -o} asked for the API's message (json or yaml) rather than text. */
    boolean structured() {
      return output.structured();
    }

    void printStructured(MessageOrBuilder message) throws IOException {
      output.print(message, out());
    }

    /** The answer as the API's message with {@code -o json|yaml}, else {@code text}. */
    void respond(boolean structured, MessageOrBuilder answer, String text) throws IOException {
      if (structured) {
        printStructured(answer);
      } else {
        out().println(text);
        out().flush();
      }
    }
  }

  @Command(name = "hosts", description = "List the hosts whose agents registered.")
  static final class Hosts extends InventoryCommand {
    @Override
    public Integer call() throws IOException {
      boolean structured = structured();
      try (OperatorClient client = parent.connection.connect()) {
        // Every page: a page stops at 3 MiB, so that any number of hosts can be listed.
        var all = io.failback.proto.v1.ListHostsResponse.newBuilder();
        String token = "";
        do {
          var page = client.inventory().listHosts(ListHostsRequest.newBuilder()
              .setPageToken(token).build());
          all.addAllHosts(page.getHostsList());
          token = page.getNextPageToken();
        } while (!token.isEmpty());
        var response = all.build();
        if (structured) {
          printStructured(response);
          return 0;
        }
        Table table = new Table("HOST", "STATUS", "LAST SEEN", "RTT", "HYPERVISOR", "AGENT",
            "VMS", "ADDRESS", "CERTIFICATE");
        Instant now = Instant.now();
        for (Host host : response.getHostsList()) {
          String status = host.hasFence() ? "FENCED" : !host.getRegistrationRefused().isEmpty()
              ? host.getStatus() + " (REFUSED)" : host.getVmConflictsCount() > 0
              ? host.getStatus() + " (" + host.getVmConflictsCount() + " VM CONFLICTS)"
              : String.valueOf(host.getStatus());
          table.row(host.getName(), status, Timestamps.toString(host.getLastSeen()),
              roundTrip(host), host.getInventory().getHypervisorKind() + " "
                  + host.getInventory().getHypervisorVersion(),
              host.getInventory().getAgentVersion(),
              host.getInventory().getVirtualMachinesCount(), host.getRemoteAddress(),
              host.hasCertificateNotAfter()
                  ? "expires " + CertificateLife.left(host.getCertificateNotAfter(), now) : "-");
        }
        table.print(out());
        return 0;
      }
    }
  }

  @Command(name = "host", description = "Show one host: VMs, switches, storage, certificates.")
  static final class HostDetail extends InventoryCommand {
    @Parameters(paramLabel = "HOST", description = "Host name.")
    String hostName;

    @Override
    public Integer call() throws IOException {
      boolean structured = structured();
      try (OperatorClient client = parent.connection.connect()) {
        Host host = client.inventory().getHost(
            GetHostRequest.newBuilder().setHostName(hostName).build());
        if (structured) {
          printStructured(host);
          return 0;
        }
        PrintWriter out = out();
        var inventory = host.getInventory();
        out.printf("host        %s (%s, last seen %s)%n", host.getName(), host.getStatus(),
            Timestamps.toString(host.getLastSeen()));
        out.printf("hypervisor  %s %s, agent %s%n", inventory.getHypervisorKind(),
            inventory.getHypervisorVersion(), inventory.getAgentVersion());
        out.printf("round trip  %s (the least of the control stream's last probes)%n",
            roundTrip(host));
        if (host.hasCertificateNotAfter()) {
          out.printf("certificate expires %s (%s)%n",
              Timestamps.toString(host.getCertificateNotAfter()),
              CertificateLife.left(host.getCertificateNotAfter(), Instant.now()));
        }
        if (host.hasFence()) {
          out.printf("FENCED      since %s by %s: %s%n",
              Timestamps.toString(host.getFence().getFencedAt()), host.getFence().getFencedBy(),
              host.getFence().getReason());
        }
        if (!host.getRegistrationRefused().isEmpty()) {
          out.printf("REFUSED     %s%n", host.getRegistrationRefused());
        }
        host.getVmConflictsList().forEach(c -> out.printf("CONFLICT    VM %s (%s) is owned by"
            + " host %s; move it with: failback move-vm %s --to-host %s --reason ...%n",
            c.getVmId(), c.getVmName(), c.getOwnerHost(), c.getVmId(), host.getName()));
        out.printf("switches    %s%n", inventory.getVirtualSwitchesList().stream()
            .map(s -> s.getName() + " (" + s.getSwitchType() + ")")
            .collect(Collectors.joining(", ")));
        inventory.getStoragePathsList().forEach(p -> out.printf("storage     %s: %s free of %s%n",
            p.getPath(), ByteText.human(p.getFreeBytes()), ByteText.human(p.getTotalBytes())));
        inventory.getEncryptionCertificatesList().forEach(c -> out.printf(
            "cert        %s %s%n", c.getThumbprint(), c.getSubject()));
        out.println();
        vmTable(inventory.getVirtualMachinesList()).print(out);
        return 0;
      }
    }
  }

  /** The host's round trip in milliseconds, "-" before one was measured. */
  static String roundTrip(Host host) {
    return host.hasRoundTrip() ? String.format(java.util.Locale.ROOT, "%.1f ms",
        com.google.protobuf.util.Durations.toNanos(host.getRoundTrip()) / 1e6) : "-";
  }

  @Command(name = "vms", description = "List the VMs the hosts reported.")
  static final class Vms extends InventoryCommand {
    @Option(names = "--host", description = "Only this host's VMs.")
    String hostName;

    @Override
    public Integer call() throws IOException {
      boolean structured = structured();
      try (OperatorClient client = parent.connection.connect()) {
        var response = client.inventory().listVirtualMachines(ListVirtualMachinesRequest
            .newBuilder().setHostName(hostName == null ? "" : hostName).build());
        if (structured) {
          printStructured(response);
          return 0;
        }
        vmTable(response.getVirtualMachinesList()).print(out());
        return 0;
      }
    }
  }

  @Command(name = "vm", description = "Show one VM with its disks and network adapters.")
  static final class Vm extends InventoryCommand {
    @Parameters(paramLabel = "VM", description = "The VM's id, a unique prefix of it, or its"
        + " name.")
    String vmId;

    @Override
    public Integer call() throws IOException {
      boolean structured = structured();
      try (OperatorClient client = parent.connection.connect()) {
        VirtualMachine vm = client.inventory().getVirtualMachine(
            GetVirtualMachineRequest.newBuilder()
                .setVmId(VmRefs.resolve(client, List.of(vmId)).get(0)).build());
        if (structured) {
          printStructured(vm);
          return 0;
        }
        PrintWriter out = out();
        out.printf("vm          %s (%s) on %s%n", vm.getName(), vm.getId(), vm.getHostName());
        out.printf("state       %s, generation %d%n", vm.getStateDetail().isEmpty()
            ? vm.getPowerState() : vm.getStateDetail(), vm.getGeneration());
        out.printf("guest OS    %s%n", vm.getGuestOs().isEmpty() ? "(the guest does not say)"
            : vm.getGuestOs());
        if (!vm.getInconsistentReason().isEmpty()) {
          out.printf("INCONSISTENT %s%n", vm.getInconsistentReason());
        }
        for (VirtualDisk disk : vm.getDisksList()) {
          out.printf("disk        %s %s %s, %s, %d-byte sectors%n", disk.getPath(),
              disk.getFormat(), disk.getType(), ByteText.human(disk.getVirtualSizeBytes()),
              disk.getLogicalSectorSize());
        }
        vm.getNetworkAdaptersList().forEach(n -> out.printf("nic         %s on switch %s%n",
            n.getName(), n.getSwitchName().isEmpty() ? "(none)" : n.getSwitchName()));
        out.flush();
        return 0;
      }
    }
  }

  static Table vmTable(List<VirtualMachine> vms) {
    Table table = new Table("VM ID", "NAME", "HOST", "STATE", "GEN", "DISKS", "SWITCHES");
    for (VirtualMachine vm : vms) {
      long bytes = vm.getDisksList().stream().mapToLong(VirtualDisk::getVirtualSizeBytes).sum();
      table.row(vm.getId(), vm.getName(), vm.getHostName(),
          vm.getStateDetail().isEmpty() ? vm.getPowerState() : vm.getStateDetail(),
          vm.getGeneration(), vm.getDisksCount() + " (" + ByteText.human(bytes) + ")",
          vm.getNetworkAdaptersList().stream().map(n -> n.getSwitchName())
              .collect(Collectors.joining(",")));
    }
    return table;
  }
}
