package io.failback.controller.cli;

import io.failback.controller.cli.LifecycleCommands.LifecycleCommand;
import io.failback.proto.v1.CloudDevices;
import io.failback.proto.v1.FailoverResponse;
import io.failback.proto.v1.RestartCloudVmRequest;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The running cloud copy of a failed-over VM: RestartCloudVm. */
final class CloudVmCommands {
  private CloudVmCommands() {}

  @Command(name = "restart-cloud-vm", description = "Restart the running cloud copies of"
      + " failed-over VMs: shut each down (its power button, destroyed after the cloud's"
      + " timeout), optionally give it other devices, start it again; one that is off just"
      + " starts. For a guest that does not boot or hangs. Its disks and the tracking of its"
      + " writes since the failover are kept.")
  static final class Restart extends LifecycleCommand {
    @Parameters(paramLabel = "VM", arity = "0..*") List<String> vmIds = List.of();

    @Option(names = "--plan", description = "Act on this recovery plan's VMs (all at once,"
        + " without the plan's delays and manual actions).")
    String plan = "";

    @Option(names = "--cloud-devices", paramLabel = "DEVICES", description = "From this start"
        + " on: " + CloudDeviceCommands.HELP + " Default: keep each VM's.")
    String devices;

    @Option(names = "--force", description = "Destroy the cloud VMs at once instead of"
        + " pressing their power button first (a hung guest does not answer it).")
    boolean force;

    @Override
    FailoverResponse start(OperatorClient client) {
      CloudDevices value = devices == null ? CloudDevices.CLOUD_DEVICES_UNSPECIFIED
          : CloudDeviceCommands.parse(spec, "--cloud-devices", devices);
      return client.failover().restartCloudVm(RestartCloudVmRequest.newBuilder()
          .addAllVmIds(VmRefs.resolve(client, vmIds)).setRecoveryPlan(plan)
          .setCloudDevices(value).setForce(force).build());
    }
  }
}
