package io.failback.controller.cli;

import io.failback.proto.v1.CloudDevices;
import io.failback.proto.v1.ListProtectedItemsResponse;
import io.failback.proto.v1.ProtectedItem;
import io.failback.proto.v1.SetCloudDevicesRequest;
import java.io.IOException;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** What the cloud copies' guests see of their disks and NICs: virtio or emulated devices. */
final class CloudDeviceCommands {
  static final String HELP = "virtio (fastest; the guest needs virtio drivers) or emulated"
      + " (SATA disks, e1000e NICs: for Windows without the virtio-win drivers).";

  private CloudDeviceCommands() {}

  /** {@code text} of option {@code option} as the API's value; a usage error otherwise. */
  static CloudDevices parse(CommandSpec spec, String option, String text) {
    return switch (text.toLowerCase(Locale.ROOT)) {
      case "virtio" -> CloudDevices.VIRTIO;
      case "emulated" -> CloudDevices.EMULATED;
      default -> throw new ParameterException(spec.commandLine(),
          option + " must be virtio or emulated, got '" + text + "'");
    };
  }

  @Command(name = "cloud-devices", description = "Set what the cloud copies of protected VMs"
      + " (or of a recovery plan's VMs) show their guests from their next start: " + HELP
      + " Refused while a cloud VM runs or a job runs on the VM.")
  static final class SetDevices implements Callable<Integer> {
    @ParentCommand FailbackMain parent;
    @Spec CommandSpec spec;
    @Mixin OutputOption output = new OutputOption();
    @Mixin ItemTargets targets = new ItemTargets();
    @Option(names = "--set", required = true, paramLabel = "DEVICES", description = HELP)
    String devices;

    @Override
    public Integer call() throws IOException {
      CloudDevices value = parse(spec, "--set", devices);
      try (OperatorClient client = parent.connection.connect()) {
        ListProtectedItemsResponse items = client.failover().setCloudDevices(
            SetCloudDevicesRequest.newBuilder().addAllVmIds(targets.vmIds(client))
                .setRecoveryPlan(targets.plan()).setCloudDevices(value).build());
        if (output.structured()) {
          output.print(items, spec.commandLine().getOut());
          return 0;
        }
        for (ProtectedItem item : items.getItemsList()) {
          spec.commandLine().getOut().println(item.getVmName() + " (" + item.getVmId()
              + "): cloud devices " + item.getCloudDevices().name().toLowerCase(Locale.ROOT)
              + (item.getCloudVmId().isEmpty() ? " (for its next cloud VM)"
                  : " (cloud VM " + item.getCloudVmId() + ", from its next start)"));
        }
        spec.commandLine().getOut().flush();
        return 0;
      }
    }
  }
}
