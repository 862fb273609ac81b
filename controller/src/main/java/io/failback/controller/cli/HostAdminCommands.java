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
      boolean structured = structured();
      try (OperatorClient client = parent.connection.connect()) {
        Host host = client.hostAdmin().fenceHost(FenceHostRequest.newBuilder()
            .setHostName(hostName).setReason(reason).build());
        respond(structured, host, String.format("host %s fenced: its agent is refused until"
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
      boolean structured = structured();
      try (OperatorClient client = parent.connection.connect()) {
        Host host = client.hostAdmin().unfenceHost(UnfenceHostRequest.newBuilder()
            .setHostName(hostName).build());
        respond(structured, host, String.format("host %s unfenced", host.getName()));
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
      boolean structured = structured();
      try (OperatorClient client = parent.connection.connect()) {
        var response = client.hostAdmin().removeHost(RemoveHostRequest.newBuilder()
            .setHostName(hostName).build());
        respond(structured, response, String.format("host %s removed", hostName));
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
      boolean structured = structured();
      try (OperatorClient client = parent.connection.connect()) {
        var response = client.hostAdmin().moveVirtualMachine(MoveVirtualMachineRequest
            .newBuilder().setVmId(vmId).setToHost(toHost).setReason(reason).build());
        respond(structured, response, String.format("VM %s now belongs to host %s", vmId, toHost));
        return 0;
      }
    }
  }

  @Command(name = "audit", mixinStandardHelpOptions = true,
      description = "Show the newest audit events: who did what (every call that may change"
          + " something, with its options and result), and how each job ended, with the disks'"
          + " digests.")
  static final class Audit extends InventoryCommands.InventoryCommand {
    @Option(names = "--target", description = "Only this target, e.g. host/hv-01, vm/ID,"
        + " plan/NAME or job/ID.")
    String target;

    @Option(names = "--vm", paramLabel = "VM_ID", description = "Only events about this VM"
        + " (same as --target vm/VM_ID).")
    String vm;

    @Option(names = "--actor", paramLabel = "SPIFFE_ID",
        description = "Only this caller, e.g. spiffe://example.org/operator/alice, or"
            + " controller.")
    String actor;

    @Option(names = "--since", paramLabel = "TIME|DURATION", description = "Only events at or"
        + " after this instant (2026-12-03T10:00:00Z) or this long ago (PT1H).")
    String since;

    @Option(names = "--until", paramLabel = "TIME|DURATION",
        description = "Only events before this instant or this long ago.")
    String until;

    @Option(names = "--limit", defaultValue = "100", description = "At most this many.")
    int limit;

    @Override
    public Integer call() throws IOException {
      boolean structured = structured();
      try (OperatorClient client = parent.connection.connect()) {
        if (vm != null && target != null) {
          throw new picocli.CommandLine.ParameterException(spec.commandLine(),
              "--vm and --target cannot be combined");
        }
        ListAuditEventsRequest.Builder request = ListAuditEventsRequest.newBuilder()
            .setTarget(vm != null ? "vm/" + vm.toLowerCase(java.util.Locale.ROOT)
                : target == null ? "" : target)
            .setActor(actor == null ? "" : actor).setLimit(limit);
        if (since != null) {
          request.setSince(Timestamps.fromMillis(when("--since", since).toEpochMilli()));
        }
        if (until != null) {
          request.setUntil(Timestamps.fromMillis(when("--until", until).toEpochMilli()));
        }
        ListAuditEventsResponse events = client.hostAdmin().listAuditEvents(request.build());
        if (structured) {
          printStructured(events);
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

    /** An ISO-8601 instant, or a duration meaning that long before now. */
    private java.time.Instant when(String option, String text) {
      try {
        return text.startsWith("P") || text.startsWith("p")
            ? java.time.Instant.now().minus(java.time.Duration.parse(text))
            : java.time.Instant.parse(text);
      } catch (java.time.format.DateTimeParseException e) {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), option
            + " must be an instant like 2026-12-03T10:00:00Z or a duration like PT1H, got '"
            + text + "'");
      }
    }
  }
}
