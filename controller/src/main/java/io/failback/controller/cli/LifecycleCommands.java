package io.failback.controller.cli;

import io.failback.proto.v1.CancelJobRequest;
import io.failback.proto.v1.CommitRequest;
import io.failback.proto.v1.CompleteFailoverRequest;
import io.failback.proto.v1.DataSync;
import io.failback.proto.v1.EnableProtectionRequest;
import io.failback.proto.v1.FailoverResponse;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.JobState;
import io.failback.proto.v1.PlannedFailoverRequest;
import io.failback.proto.v1.ResumeJobRequest;
import io.failback.proto.v1.ReverseReplicateRequest;
import io.failback.proto.v1.UnplannedFailoverRequest;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** The lifecycle commands: protect, failover, complete, commit, reverse-replicate, jobs. */
final class LifecycleCommands {
  private LifecycleCommands() {}

  /** Shared by the lifecycle commands: the connection and how a started job is followed. */
  abstract static class LifecycleCommand implements Callable<Integer> {
    @ParentCommand
    FailbackMain parent;

    @Spec
    CommandSpec spec;

    @Option(names = "--watch", description = "Follow the job until it ends or waits.")
    boolean watch;

    @Mixin OutputOption output = new OutputOption();

    PrintWriter out() {
      return spec.commandLine().getOut();
    }

    abstract FailoverResponse start(OperatorClient client);

    @Override
    public Integer call() throws IOException {
      try (OperatorClient client = parent.connection.connect()) {
        FailoverResponse response = start(client);
        if (output.structured()) {
          return printStructured(client, response);
        }
        if (response.hasPreflight()) {
          return PreflightView.print(response.getPreflight(), out());
        }
        if (!response.hasJob()) {
          out().println("checked: nothing stands in the way; nothing was changed");
          return 0;
        }
        out().println(JobView.summary(response.getJob()));
        out().flush();
        if (watch) {
          return Watch.follow(client, response.getJob().getId(), out());
        }
        return 0;
      }
    }

    /** The API's answer for scripts; with --watch, once the job ended or waits. */
    private int printStructured(OperatorClient client, FailoverResponse response)
        throws IOException {
      if (watch && response.hasJob()) {
        Job last = Watch.last(client, response.getJob().getId());
        output.print(last == null ? response : response.toBuilder().setJob(last), out());
        return Watch.exitCode(last);
      }
      output.print(response, out());
      return response.getPreflight().getProblemsCount() > 0 ? PreflightView.PROBLEMS_FOUND : 0;
    }
  }

  @Command(name = "protect", description = "Start replicating an on-prem VM to the cloud.")
  static final class Protect extends LifecycleCommand {
    @Parameters(paramLabel = "VM", arity = "1..*") List<String> vmIds;

    @Option(names = "--data-encryption", description = "Encrypt block payloads end to end when"
        + " these VMs fail back (failover then needs --encryption-certificate).")
    boolean dataEncryption;

    @Option(names = "--cloud-devices", paramLabel = "DEVICES", description = "What the cloud"
        + " copies show their guests: " + CloudDeviceCommands.HELP + " Default: emulated for a"
        + " guest that reports Windows, virtio otherwise.")
    String cloudDevices;

    @Mixin TransferFlags.JobTransfer transfer = new TransferFlags.JobTransfer();

    @Override
    FailoverResponse start(OperatorClient client) {
      return client.failover().enableProtection(EnableProtectionRequest.newBuilder()
          .addAllVmIds(VmRefs.resolve(client, vmIds)).setDataEncryption(dataEncryption)
          .setTransfer(transfer.options()).setCloudDevices(cloudDevices == null
              ? io.failback.proto.v1.CloudDevices.CLOUD_DEVICES_UNSPECIFIED
              : CloudDeviceCommands.parse(spec, "--cloud-devices", cloudDevices)).build());
    }
  }

  @Command(name = "failover", description = "Planned failover; on a failed-over VM this is the"
      + " failback (cloud to on-prem).")
  static final class Failover extends LifecycleCommand {
    @Parameters(paramLabel = "VM", arity = "0..*") List<String> vmIds = List.of();

    @Option(names = "--plan", description = "Act on this recovery plan's VMs, group by group.")
    String plan = "";

    @Option(names = "--data-sync", defaultValue = "before",
        description = "before (sync while the source runs, then complete) or full.")
    String dataSync;

    @Option(names = "--unplanned", description = "Fail over to the last replica, no final sync.")
    boolean unplanned;

    @Option(names = "--target-host", description = "Failback to this host instead.")
    String targetHost;

    @Option(names = "--validate-only", description = "Pre-flight only: list every problem, or"
        + " estimate both data-sync options (with --unplanned: the recovery point each VM would"
        + " start from); changes nothing. Exit 5 when problems are found.")
    boolean validateOnly;

    @Option(names = "--encryption-certificate", paramLabel = "THUMBPRINT",
        description = "The target agent's encryption certificate, for encrypted groups.")
    String encryptionCertificate = "";

    @Mixin TransferFlags.JobTransfer transfer = new TransferFlags.JobTransfer();

    private void refuseFailbackOptions() {
      List<String> given = FAILBACK_ONLY.stream()
          .filter(spec.commandLine().getParseResult()::hasMatchedOption).toList();
      if (!given.isEmpty()) {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--unplanned"
            + " starts the cloud replicas as they are; it takes no " + String.join(", ", given));
      }
    }

    @Override
    FailoverResponse start(OperatorClient client) {
      if (unplanned) {
        refuseFailbackOptions();
        return client.failover().unplannedFailover(UnplannedFailoverRequest.newBuilder()
            .addAllVmIds(VmRefs.resolve(client, vmIds)).setRecoveryPlan(plan)
            .setValidateOnly(validateOnly).build());
      }
      DataSync mode = switch (dataSync) {
        case "before" -> DataSync.SYNC_BEFORE_FAILOVER;
        case "full" -> DataSync.FULL_DOWNLOAD;
        default -> throw new picocli.CommandLine.ParameterException(spec.commandLine(),
            "--data-sync must be before or full, got '" + dataSync + "'");
      };
      return client.failover().plannedFailover(PlannedFailoverRequest.newBuilder()
          .addAllVmIds(VmRefs.resolve(client, vmIds)).setRecoveryPlan(plan).setDataSync(mode)
          .setTargetHost(targetHost == null ? "" : targetHost)
          .setEncryptionCertificate(encryptionCertificate).setValidateOnly(validateOnly)
          .setTransfer(transfer.options()).build());
    }
  }

  /**
   * What an unplanned failover does not take: it starts the replicas as they are, with no
   * transfer and on no other host. Ignoring them would run a failover other than the one asked.
   */
  private static final List<String> FAILBACK_ONLY = List.of("--data-sync", "--target-host",
      "--encryption-certificate", "--compression", "--lanes-per-disk", "--block-size");

  @Command(name = "complete", description = "Complete a failover waiting after phase 1.")
  static final class Complete extends LifecycleCommand {
    @Parameters(paramLabel = "JOB_ID") String jobId;

    @Override
    FailoverResponse start(OperatorClient client) {
      return client.failover().completeFailover(
          CompleteFailoverRequest.newBuilder().setJobId(jobId).build());
    }
  }

  @Command(name = "commit", description = "Make a failover or failback final.")
  static final class Commit extends LifecycleCommand {
    @Parameters(paramLabel = "VM", arity = "0..*") List<String> vmIds = List.of();

    @Option(names = "--plan", description = "Act on this recovery plan's VMs.")
    String plan = "";

    @Override
    FailoverResponse start(OperatorClient client) {
      return client.failover().commit(CommitRequest.newBuilder()
          .addAllVmIds(VmRefs.resolve(client, vmIds))
          .setRecoveryPlan(plan).build());
    }
  }

  @Command(name = "rollback", description = "Undo completed failbacks before commit: stop the"
      + " on-prem VMs, put their disks back as they were before the failback (discarding what"
      + " they wrote since), start the cloud VMs again.")
  static final class Rollback extends LifecycleCommand {
    @Parameters(paramLabel = "VM", arity = "0..*") List<String> vmIds = List.of();

    @Option(names = "--plan", description = "Act on this recovery plan's VMs.")
    String plan = "";

    @Option(names = "--validate-only", description = "Check states, hosts and undo journals;"
        + " change nothing.")
    boolean validateOnly;

    @Override
    FailoverResponse start(OperatorClient client) {
      return client.failover().rollbackFailback(
          io.failback.proto.v1.RollbackFailbackRequest.newBuilder()
              .addAllVmIds(VmRefs.resolve(client, vmIds)).setRecoveryPlan(plan)
              .setValidateOnly(validateOnly).build());
    }
  }

  @Command(name = "reverse-replicate", description = "Protect failed-back VMs again.")
  static final class ReverseReplicate extends LifecycleCommand {
    @Parameters(paramLabel = "VM", arity = "0..*") List<String> vmIds = List.of();

    @Option(names = "--plan", description = "Act on this recovery plan's VMs.")
    String plan = "";

    @Mixin TransferFlags.JobTransfer transfer = new TransferFlags.JobTransfer();

    @Override
    FailoverResponse start(OperatorClient client) {
      return client.failover().reverseReplicate(ReverseReplicateRequest.newBuilder()
          .addAllVmIds(VmRefs.resolve(client, vmIds)).setRecoveryPlan(plan)
          .setTransfer(transfer.options()).build());
    }
  }

  /** A command on one job that answers with the job: cancel, resume. */
  abstract static class JobAction implements Callable<Integer> {
    @ParentCommand FailbackMain parent;
    @Spec CommandSpec spec;
    @Parameters(paramLabel = "JOB_ID") String jobId;

    abstract Job act(OperatorClient client);

    @Override
    public Integer call() throws IOException {
      try (OperatorClient client = parent.connection.connect()) {
        spec.commandLine().getOut().println(JobView.summary(act(client)));
        spec.commandLine().getOut().flush();
        return 0;
      }
    }
  }

  @Command(name = "cancel", description = "Cancel a job; a failback cancelled during data sync"
      + " puts the on-prem disks back as they were, from their undo journals.")
  static final class Cancel extends JobAction {
    @Override
    Job act(OperatorClient client) {
      return client.jobs().cancelJob(CancelJobRequest.newBuilder().setJobId(jobId).build());
    }
  }

  @Command(name = "resume", description = "Go on after a recovery plan's manual action.")
  static final class Resume extends JobAction {
    @Override
    Job act(OperatorClient client) {
      return client.jobs().resumeJob(ResumeJobRequest.newBuilder().setJobId(jobId).build());
    }
  }

  @Command(name = "simulate-writes", description = "SIMULATION ONLY: the guest of a running"
      + " cloud VM writes random blocks (controller started with --simulation; needs a"
      + " simulator certificate: failback-pki issue --role simulator, then --cert/--key).")
  static final class SimulateWrites implements Callable<Integer> {
    @ParentCommand FailbackMain parent;
    @Spec CommandSpec spec;
    @Parameters(paramLabel = "VM", description = "The protected VM whose cloud copy writes.")
    String vmId;
    @Option(names = "--disk", defaultValue = "0") int disk;
    @Option(names = "--blocks", defaultValue = "100", description = "64 KiB blocks to write.")
    int blocks;
    @Option(names = "--seed", defaultValue = "1") long seed;
    @Option(names = "--write-size", defaultValue = "64KiB", description = "Bytes of each write"
        + " (4KiB to 64KiB, a power of two), at a random place of its block.")
    String writeSize;
    @Option(names = "--over", defaultValue = "PT0S",
        description = "Spread the writes over this long, in the background (ISO-8601).")
    java.time.Duration over;

    @Override
    public Integer call() throws IOException {
      long writeBytes;
      try {
        writeBytes = Sizes.parse("--write-size", writeSize);
      } catch (IllegalArgumentException e) {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), e.getMessage());
      }
      if (writeBytes < 4096 || writeBytes > 65536 || Long.bitCount(writeBytes) != 1) {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--write-size must"
            + " be a power of two from 4KiB to 64KiB, got " + writeSize);
      }
      try (OperatorClient client = parent.connection.connect()) {
        var response = client.simulation().writeToCloudVm(
            io.failback.proto.v1.WriteToCloudVmRequest.newBuilder().setVmId(vmId)
                .setDiskIndex(disk).setBlocks(blocks).setSeed(seed)
                .setWriteBytes((int) writeBytes)
                .setSpreadOver(com.google.protobuf.util.Durations.fromMillis(over.toMillis()))
                .build());
        spec.commandLine().getOut().printf("cloud VM %s: %d blocks of disk %d (%s each) %s%n",
            response.getCloudVmId(), response.getBlocks(), disk, writeSize,
            over.isZero() ? "written" : "being written over " + over.toSeconds() + " s");
        spec.commandLine().getOut().flush();
        return 0;
      }
    }
  }

  /** Follows a job over WatchJob with a progress bar. */
  static final class Watch {
    private Watch() {}

    /** Returns 0 when the job succeeded or waits for an action, 4 when it failed or stopped. */
    static int follow(OperatorClient client, String jobId, PrintWriter out) {
      Iterator<Job> updates = new JobUpdates(client, jobId, text -> {
        out.println((FailbackMain.onTerminal ? "\n" : "") + text);
        out.flush();
      });
      Job last = null;
      // A line wider than the terminal would wrap, and only its last row be redrawn.
      int width = FailbackMain.onTerminal ? FailbackMain.terminalWidth() : 0;
      while (updates.hasNext()) {
        last = updates.next();
        // The server's own figures, ETA included: the CLI adds nothing up itself. On a
        // terminal the line is redrawn in place; piped, each update is a line of its own.
        String line = JobView.summary(last) + "  " + JobView.bar(last.getProgress())
            + (last.getBandwidth().getLimitBitsPerSecond() > 0
                ? "  limit " + BandwidthCommands.rate(last.getBandwidth().getLimitBitsPerSecond())
                : "");
        if (FailbackMain.onTerminal && line.indexOf('\n') < 0) {
          out.print("\r\033[K" + JobView.fit(line, width - 1));
        } else {
          out.println(line);
        }
        out.flush();
        if (last.getState() == JobState.JOB_WAITING) {
          break;
        }
      }
      if (FailbackMain.onTerminal) {
        out.println();
      }
      if (last != null) {
        JobView.details(last, out);
      }
      return exitCode(last);
    }

    /** The job once it ended or waits for an action, followed without printing. */
    static Job last(OperatorClient client, String jobId) {
      // Printed output is the job's alone (-o json): nothing to say of a stream watched again.
      Iterator<Job> updates = new JobUpdates(client, jobId, text -> { });
      Job last = null;
      while (updates.hasNext()) {
        last = updates.next();
        if (last.getState() == JobState.JOB_WAITING) {
          break;
        }
      }
      return last;
    }

    /** 0 when the job succeeded or waits for an action, 4 when it failed or stopped. */
    static int exitCode(Job last) {
      return last != null && (last.getState() == JobState.JOB_SUCCEEDED
          || last.getState() == JobState.JOB_WAITING) ? 0 : 4;
    }
  }
}
