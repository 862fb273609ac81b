package io.failback.controller.cli;

import io.failback.proto.v1.GetJobRequest;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.JobState;
import io.failback.proto.v1.ListJobsRequest;
import io.failback.proto.v1.ListJobsResponse;
import io.failback.proto.v1.ListProtectedItemsRequest;
import io.failback.proto.v1.ProtectedItem;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** The jobs: list them as a table or the API's messages, and show or follow one. */
final class JobCommands {
  private JobCommands() {}

  @Command(name = "jobs", description = "List jobs, newest first.")
  static final class Jobs implements Callable<Integer> {
    @ParentCommand FailbackMain parent;
    @Spec CommandSpec spec;
    @Mixin OutputOption output = new OutputOption();
    @Option(names = "--vm", paramLabel = "VM_ID", description = "Only jobs of this VM.")
    String vmId;
    @Option(names = "--state", paramLabel = "STATE", split = ",",
        description = "Only jobs in these states: ${COMPLETION-CANDIDATES}.")
    List<JobStateFilter> states = List.of();
    @Option(names = "--kind", paramLabel = "KIND",
        description = "Only jobs of this kind (the RPC that started them, e.g."
            + " PlannedFailover).")
    String kind;
    @Option(names = "--limit", defaultValue = "50", paramLabel = "N",
        description = "At most N jobs, the newest (default: ${DEFAULT-VALUE}; 0: all).")
    int limit;

    @Override
    public Integer call() throws IOException {
      if (limit < 0) {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(),
            "--limit must be 0 (all) or more, got " + limit);
      }
      try (OperatorClient client = parent.connection.connect()) {
        List<Job> jobs = client.jobs().listJobs(ListJobsRequest.newBuilder()
            .setVmId(vmId == null ? "" : VmRefs.resolve(client, List.of(vmId)).get(0)).build())
            .getJobsList().stream()
            .filter(job -> states.isEmpty() || states.stream()
                .anyMatch(state -> state.matches(job.getState())))
            .filter(job -> kind == null || job.getKind().equalsIgnoreCase(kind))
            .limit(limit == 0 ? Long.MAX_VALUE : limit).toList();
        if (output.structured()) {
          output.print(ListJobsResponse.newBuilder().addAllJobs(jobs),
              spec.commandLine().getOut());
          return 0;
        }
        java.util.Map<String, String> names = new java.util.HashMap<>();
        for (ProtectedItem item : client.failover().listProtectedItems(
            ListProtectedItemsRequest.getDefaultInstance()).getItemsList()) {
          names.put(item.getVmId(), item.getVmName());
        }
        Table table = new Table("JOB ID", "KIND", "STATE", "VMS", "CREATED (UTC)", "NEXT");
        for (Job job : jobs) {
          table.row(job.getId(), job.getKind(), job.getState().name().replace("JOB_", ""),
              job.getVmIdsList().stream().map(id -> names.getOrDefault(id, id))
                  .collect(java.util.stream.Collectors.joining(",")),
              job.hasCreatedAt() ? java.time.Instant.ofEpochSecond(
                  job.getCreatedAt().getSeconds()).toString().replace("T", " ")
                  .replace("Z", "") : "-",
              job.getAllowedActionsCount() == 0 ? "-"
                  : CliHints.actions(job.getAllowedActionsList()));
        }
        table.print(spec.commandLine().getOut());
        return 0;
      }
    }
  }

  /** The job states as {@code --state} takes them. */
  enum JobStateFilter {
    queued, running, waiting, succeeded, failed, cancelled;

    boolean matches(JobState state) {
      return state.name().equals("JOB_" + name().toUpperCase(java.util.Locale.ROOT));
    }
  }

  @Command(name = "job", description = "Show a job; with --watch follow it live.")
  static final class JobDetail implements Callable<Integer> {
    @ParentCommand FailbackMain parent;
    @Spec CommandSpec spec;
    @Mixin OutputOption output = new OutputOption();
    @Parameters(paramLabel = "JOB_ID") String jobId;
    @Option(names = "--watch", description = "A live progress bar until the job ends or waits.")
    boolean watch;

    @Override
    public Integer call() throws IOException {
      try (OperatorClient client = parent.connection.connect()) {
        if (watch) {
          return LifecycleCommands.Watch.follow(client, jobId, spec.commandLine().getOut());
        }
        Job job = client.jobs().getJob(GetJobRequest.newBuilder().setJobId(jobId).build());
        if (output.structured()) {
          output.print(job, spec.commandLine().getOut());
        } else {
          JobView.details(job, spec.commandLine().getOut());
        }
        return 0;
      }
    }
  }
}
