package io.failback.controller.cli;

import com.google.protobuf.util.Timestamps;
import io.failback.proto.v1.AuditEvent;
import io.failback.proto.v1.FenceHostRequest;
import io.failback.proto.v1.Host;
import io.failback.proto.v1.ListAuditEventsRequest;
import io.failback.proto.v1.ListAuditEventsResponse;
import io.failback.proto.v1.MoveVirtualMachineRequest;
import io.failback.proto.v1.RemoveHostRequest;
import io.failback.proto.v1.UnfenceHostRequest;
import java.io.IOException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The operator's host commands: fence, unfence, remove-host, move-vm, audit. */
final class HostAdminCommands {
  private HostAdminCommands() {}

  @Command(name = "fence", mixinStandardHelpOptions = true,
      description = "Refuse a host's agent now, whatever its certificate, and cut its streams.")
  static final class Fence extends InventoryCommands.InventoryCommand {
    @Parameters(paramLabel = "HOST", description = "Host name.")
    String hostName;

    @Option(names = "--reason", required = true, description = "Why (kept in the audit trail).")
    String reason;

    @Override
    public Integer call() throws IOException {
      boolean json = json();
      try (OperatorClient client = parent.connection.connect()) {
        Host host = client.hostAdmin().fenceHost(FenceHostRequest.newBuilder()
            .setHostName(hostName).setReason(reason).build());
        respond(json, host, String.format("host %s fenced: its agent is refused until"
            + " `failback unfence %s`", host.getName(), host.getName()));
        return 0;
      }
    }
  }

  @Command(name = "unfence", mixinStandardHelpOptions = true,
      description = "Let a fenced host's agent connect again.")
  static final class Unfence extends InventoryCommands.InventoryCommand {
    @Parameters(paramLabel = "HOST", description = "Host name.")
    String hostName;

    @Override
    public Integer call() throws IOException {
      boolean json = json();
      try (OperatorClient client = parent.connection.connect()) {
        Host host = client.hostAdmin().unfenceHost(UnfenceHostRequest.newBuilder()
            .setHostName(hostName).build());
        respond(json, host, String.format("host %s unfenced", host.getName()));
        return 0;
      }
    }
  }

  @Command(name = "remove-host", mixinStandardHelpOptions = true,
      description = "Forget a host: its record, inventory and VM ownership.")
  static final class RemoveHost extends InventoryCommands.InventoryCommand {
    @Parameters(paramLabel = "HOST", description = "Host name.")
    String hostName;

    @Override
    public Integer call() throws IOException {
      boolean json = json();
      try (OperatorClient client = parent.connection.connect()) {
        var response = client.hostAdmin().removeHost(RemoveHostRequest.newBuilder()
            .setHostName(hostName).build());
        respond(json, response, String.format("host %s removed", hostName));
        return 0;
      }
    }
  }

  @Command(name = "move-vm", mixinStandardHelpOptions = true,
      description = "Give a VM to the host that reports it now (after a live migration).")
  static final class MoveVm extends InventoryCommands.InventoryCommand {
    @Parameters(paramLabel = "VM_ID", description = "VM id.")
    String vmId;

    @Option(names = "--to-host", required = true, description = "The host the VM runs on now.")
    String toHost;

    @Option(names = "--reason", required = true, description = "Why (kept in the audit trail).")
    String reason;

    @Override
    public Integer call() throws IOException {
      boolean json = json();
      try (OperatorClient client = parent.connection.connect()) {
        var response = client.hostAdmin().moveVirtualMachine(MoveVirtualMachineRequest
            .newBuilder().setVmId(vmId).setToHost(toHost).setReason(reason).build());
        respond(json, response, String.format("VM %s now belongs to host %s", vmId, toHost));
        return 0;
      }
    }
  }

  @Command(name = "audit", mixinStandardHelpOptions = true,
      description = "Show the newest audit events: who fenced, removed or moved what.")
  static final class Audit extends InventoryCommands.InventoryCommand {
    @Option(names = "--target", description = "Only this target, e.g. host/hv-01 or vm/ID.")
    String target;

    @Option(names = "--limit", defaultValue = "100", description = "At most this many.")
    int limit;

    @Override
    public Integer call() throws IOException {
      boolean json = json();
      try (OperatorClient client = parent.connection.connect()) {
        ListAuditEventsResponse events = client.hostAdmin().listAuditEvents(
            ListAuditEventsRequest.newBuilder().setTarget(target == null ? "" : target)
                .setLimit(limit).build());
        if (json) {
          printJson(events);
          return 0;
        }
        Table table = new Table("TIME", "ACTOR", "ACTION", "TARGET", "DETAIL");
        for (AuditEvent event : events.getEventsList()) {
          table.row(Timestamps.toString(event.getAt()), event.getActor(), event.getAction(),
              event.getTarget(), event.getDetail());
        }
        table.print(out());
        return 0;
      }
    }
  }
}
