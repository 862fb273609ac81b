package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.testing.GrpcCleanup;
import io.failback.controller.lifecycle.Jobs;
import io.failback.proto.v1.CancelJobRequest;
import io.failback.proto.v1.FailoverDirection;
import io.failback.proto.v1.GetJobRequest;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.JobProgress;
import io.failback.proto.v1.JobServiceGrpc;
import io.failback.proto.v1.JobState;
import io.failback.proto.v1.ListJobsRequest;
import io.failback.proto.v1.WatchJobRequest;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/** JobService over real mutual TLS, with jobs made through the controller's domain API. */
class JobServiceTest {
  private static final String VM_1 = "00000000-0000-4000-8000-000000000001";
  private static final String VM_2 = "00000000-0000-4000-8000-000000000002";
  private static final String NO_SUCH_JOB = "00000000-0000-4000-8000-00000000dead";
  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;
  ControllerFixture controller;
  JobServiceGrpc.JobServiceBlockingStub operator;

  @BeforeEach
  void start() throws Exception {
    controller = cleanup.register(new ControllerFixture(dir).start());
    operator = JobServiceGrpc.newBlockingStub(channel()).withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  private ManagedChannel channel() throws Exception {
    ManagedChannel channel = controller.channel(controller.pki.operator("ops"));
    cleanup.register(channel::shutdownNow);
    return channel;
  }

  private Jobs jobs() {
    return controller.server.jobs();
  }

  private Job failback(String vmId) throws Exception {
    return jobs().create("PlannedFailover", FailoverDirection.CLOUD_TO_ON_PREM, "",
        Map.of(vmId, List.of("os.vhdx")));
  }

  private static Status fails(Executable call) {
    return assertThrows(StatusRuntimeException.class, call).getStatus();
  }

  @Test
  void getJobReturnsTheStoredJobOrSaysWhyNot() throws Exception {
    Job job = failback(VM_1);
    assertEquals(job, operator.getJob(GetJobRequest.newBuilder().setJobId(job.getId()).build()));

    Status missing = fails(() -> operator.getJob(GetJobRequest.newBuilder().setJobId(NO_SUCH_JOB)
        .build()));
    assertEquals(Status.Code.NOT_FOUND, missing.getCode());
    assertEquals("no job with id '" + NO_SUCH_JOB + "'; list them with ListJobs",
        missing.getDescription());
    Status empty = fails(() -> operator.getJob(GetJobRequest.getDefaultInstance()));
    assertEquals(Status.Code.INVALID_ARGUMENT, empty.getCode());
    assertTrue(empty.getDescription().startsWith("job_id is empty"), empty.getDescription());
  }

  @Test
  void listJobsIsNewestFirstAndFiltersByVm() throws Exception {
    Job first = failback(VM_1);
    controller.clock.advance(Duration.ofSeconds(1));
    Job second = failback(VM_2);

    assertEquals(List.of(second, first),
        operator.listJobs(ListJobsRequest.getDefaultInstance()).getJobsList());
    assertEquals(List.of(first),
        operator.listJobs(ListJobsRequest.newBuilder().setVmId(VM_1).build()).getJobsList());
  }

  @Test
  void cancelJobAsksTheRunnerToStop() throws Exception {
    Job job = failback(VM_1);
    jobs().transition(job.getId(), JobState.JOB_RUNNING);
    CompletableFuture<String> stopped = new CompletableFuture<>();
    jobs().onCancel(job.getId(), () -> stopped.complete(job.getId()));

    Job answer = operator.cancelJob(CancelJobRequest.newBuilder().setJobId(job.getId()).build());

    assertEquals(job.getId(), stopped.getNow(null));
    assertEquals(JobState.JOB_RUNNING, answer.getState());
    assertEquals("cancel requested",
        answer.getTimeline(answer.getTimelineCount() - 1).getDescription());
  }

  @Test
  void cancelJobRefusesFinishedUnknownAndEmpty() throws Exception {
    Job job = failback(VM_1);
    jobs().transition(job.getId(), JobState.JOB_RUNNING);
    jobs().succeed(job.getId());

    Status finished = fails(() -> operator.cancelJob(CancelJobRequest.newBuilder()
        .setJobId(job.getId()).build()));
    assertEquals(Status.Code.FAILED_PRECONDITION, finished.getCode());
    assertEquals("cannot CancelJob: job " + job.getId() + " (PlannedFailover) is JOB_SUCCEEDED;"
        + " allowed: none", finished.getDescription());
    assertEquals(Status.Code.NOT_FOUND, fails(() -> operator.cancelJob(
        CancelJobRequest.newBuilder().setJobId(NO_SUCH_JOB).build())).getCode());
    assertEquals(Status.Code.INVALID_ARGUMENT, fails(() -> operator.cancelJob(
        CancelJobRequest.getDefaultInstance())).getCode());
  }

  @Test
  void watchJobSendsTheCurrentJobThenEachChangeThenCompletes() throws Exception {
    String id = failback(VM_1).getId();
    Watcher watcher = watch(id);

    assertEquals(JobState.JOB_QUEUED, watcher.next().getState());
    jobs().transition(id, JobState.JOB_RUNNING);
    assertEquals(JobState.JOB_RUNNING, watcher.next().getState());
    jobs().step(id, VM_1, "phase 1: syncing snapshot");
    assertEquals("phase 1: syncing snapshot", watcher.next().getTimeline(0).getDescription());
    jobs().succeed(id);
    assertEquals(JobState.JOB_SUCCEEDED, watcher.next().getState());

    assertSame(Watcher.COMPLETED, watcher.events.poll(10, TimeUnit.SECONDS));
    assertEquals(0, jobs().openWatches());
  }

  @Test
  void slowWatcherSkipsVersionsInsteadOfQueueingThem() throws Exception {
    // ~60 KB per version, 100 versions: far more than the HTTP/2 windows hold.
    List<String> disks = IntStream.range(0, 1000)
        .mapToObj(i -> String.format("D:\\Hyper-V\\web-01\\disk-%04d.vhdx", i)).toList();
    String id = jobs().create("PlannedFailover", FailoverDirection.CLOUD_TO_ON_PREM, "",
        Map.of(VM_1, disks)).getId();
    jobs().transition(id, JobState.JOB_RUNNING);
    Watcher watcher = new Watcher(1);
    JobServiceGrpc.newStub(channel()).watchJob(
        WatchJobRequest.newBuilder().setJobId(id).build(), watcher);
    watcher.next();

    for (int i = 1; i <= 100; i++) {
      jobs().progress(id, VM_1, disks.get(0),
          JobProgress.newBuilder().setBytesScanned(i).build());
    }
    jobs().succeed(id);
    watcher.call.request(Integer.MAX_VALUE);

    long previous = 0;
    int received = 1;
    for (Object event = watcher.events.poll(10, TimeUnit.SECONDS); event != Watcher.COMPLETED;
        event = watcher.events.poll(10, TimeUnit.SECONDS)) {
      assertTrue(event instanceof Job, "expected a job, got " + event);
      long scanned = ((Job) event).getTasks(1).getProgress().getBytesScanned();
      assertTrue(scanned >= previous, scanned + " after " + previous);
      previous = scanned;
      received++;
      if (((Job) event).getState() == JobState.JOB_SUCCEEDED) {
        assertEquals(100, scanned);
      }
    }
    assertTrue(received < 80, "received " + received + " of 102 versions: nothing skipped");
    assertEquals(100, previous);
  }

  @Test
  void watchJobOfAnUnknownJobIsNotFound() throws Exception {
    Watcher watcher = watch(NO_SUCH_JOB);
    Status status = (Status) watcher.events.poll(10, TimeUnit.SECONDS);
    assertEquals(Status.Code.NOT_FOUND, status.getCode());
  }

  @Test
  void cancelledWatchLetsGoOfItsListener() throws Exception {
    String id = failback(VM_1).getId();
    Watcher watcher = watch(id);
    watcher.next();
    assertEquals(1, jobs().openWatches());

    watcher.call.cancel("operator pressed ^C", null);

    awaitTrue(() -> jobs().openWatches() == 0, "the watch was never closed");
  }

  @Test
  void shutdownEndsOpenWatchesWithUnavailable() throws Exception {
    String id = failback(VM_1).getId();
    Watcher watcher = watch(id);
    watcher.next();

    controller.close();

    Status status = (Status) watcher.events.poll(10, TimeUnit.SECONDS);
    assertEquals(Status.Code.UNAVAILABLE, status.getCode());
    assertTrue(status.getDescription().contains("shutting down"), status.getDescription());
  }

  @Test
  void jobRunningWhenTheControllerStopsFailsSayingHowToResume() throws Exception {
    String id = failback(VM_1).getId();
    jobs().transition(id, JobState.JOB_RUNNING);
    controller.close();
    controller.start();
    operator = JobServiceGrpc.newBlockingStub(channel()).withDeadlineAfter(10, TimeUnit.SECONDS);

    Job job = operator.getJob(GetJobRequest.newBuilder().setJobId(id).build());

    assertEquals(JobState.JOB_FAILED, job.getState());
    assertEquals(List.of("controller restarted while the job was running; re-run"
        + " PlannedFailover to resume from the persisted checkpoints"), job.getErrorsList());
  }

  @Test
  void agentCertificateMayNotCallJobService() throws Exception {
    ManagedChannel agent = controller.channel(controller.pki.agent("hv-01"));
    cleanup.register(agent::shutdownNow);
    Status status = fails(() -> JobServiceGrpc.newBlockingStub(agent)
        .withDeadlineAfter(10, TimeUnit.SECONDS)
        .listJobs(ListJobsRequest.getDefaultInstance()));
    assertEquals(Status.Code.PERMISSION_DENIED, status.getCode());
    assertTrue(status.getDescription().contains("failback.v1.JobService"),
        status.getDescription());
  }

  private Watcher watch(String jobId) throws Exception {
    Watcher watcher = new Watcher();
    JobServiceGrpc.newStub(channel()).watchJob(
        WatchJobRequest.newBuilder().setJobId(jobId).build(), watcher);
    return watcher;
  }

  private static void awaitTrue(BooleanSupplier condition, String message)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, message);
      Thread.sleep(10);
    }
  }

  /** Records what a WatchJob stream delivers: jobs, then COMPLETED or the error's status. */
  static final class Watcher implements ClientResponseObserver<WatchJobRequest, Job> {
    static final Object COMPLETED = new Object();
    final BlockingQueue<Object> events = new LinkedBlockingQueue<>();
    final int initialRequest;
    volatile ClientCallStreamObserver<WatchJobRequest> call;

    Watcher() {
      this(0);
    }

    /** A watcher that takes only {@code initialRequest} messages until asked for more. */
    Watcher(int initialRequest) {
      this.initialRequest = initialRequest;
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<WatchJobRequest> requestStream) {
      call = requestStream;
      if (initialRequest > 0) {
        requestStream.disableAutoRequestWithInitial(initialRequest);
      }
    }

    Job next() throws InterruptedException {
      Object event = events.poll(10, TimeUnit.SECONDS);
      assertTrue(event instanceof Job, "expected a job, got " + event);
      return (Job) event;
    }

    @Override
    public void onNext(Job job) {
      events.add(job);
    }

    @Override
    public void onError(Throwable t) {
      events.add(Status.fromThrowable(t));
    }

    @Override
    public void onCompleted() {
      events.add(COMPLETED);
    }
  }
}
