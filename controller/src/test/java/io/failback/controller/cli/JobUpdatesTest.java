package io.failback.controller.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.proto.v1.Job;
import io.failback.proto.v1.JobServiceGrpc;
import io.failback.proto.v1.JobState;
import io.failback.proto.v1.WatchJobRequest;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A job watch through a controller takeover: the stream breaks, the dying controller refuses
 * the next ones for a moment, the new active one answers. Against an in-process JobService that
 * plays those answers, call by call.
 */
class JobUpdatesTest {
  private static final Status GONE = Status.UNAVAILABLE.withDescription("Network closed");
  private static final Status HANDSHAKE = Status.UNAVAILABLE.withDescription(
      "the TLS handshake failed");

  private final List<AutoCloseable> open = new ArrayList<>();

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable resource : open) {
      resource.close();
    }
  }

  /** What the service answers to each WatchJob call, in order: a job, or an error. */
  private OperatorClient serving(AtomicInteger calls, Object... answers) throws Exception {
    String name = InProcessServerBuilder.generateName();
    Server server = InProcessServerBuilder.forName(name).directExecutor()
        .addService(new JobServiceGrpc.JobServiceImplBase() {
          @Override
          public void watchJob(WatchJobRequest request, StreamObserver<Job> responses) {
            int call = calls.getAndIncrement();
            Object answer = answers[Math.min(call, answers.length - 1)];
            if (answer instanceof Job job) {
              responses.onNext(job);
              if (job.getState() == JobState.JOB_SUCCEEDED) {
                responses.onCompleted();
                return;
              }
            }
            responses.onError((answer instanceof Status status ? status : GONE)
                .asRuntimeException());
          }
        }).build().start();
    open.add(() -> server.shutdownNow().awaitTermination());
    OperatorClient client = new OperatorClient(InProcessChannelBuilder.forName(name)
        .directExecutor().build());
    open.add(0, client);
    return client;
  }

  private static Job job(JobState state) {
    return Job.newBuilder().setId("j1").setState(state).build();
  }

  @Test
  void aBrokenWatchIsWatchedAgainThroughRefusalsUntilTheNewControllerAnswers()
      throws Exception {
    AtomicInteger calls = new AtomicInteger();
    OperatorClient client = serving(calls, job(JobState.JOB_RUNNING), HANDSHAKE, HANDSHAKE,
        job(JobState.JOB_SUCCEEDED));
    List<String> notices = new ArrayList<>();
    JobUpdates updates = new JobUpdates(client, "j1", notices::add, Duration.ofSeconds(30));
    List<JobState> seen = new ArrayList<>();
    while (updates.hasNext()) {
      seen.add(updates.next().getState());
    }
    assertEquals(List.of(JobState.JOB_RUNNING, JobState.JOB_SUCCEEDED), seen);
    assertEquals(4, calls.get(), "the two refused watches were tried again");
    assertEquals(1, notices.size(), notices.toString());
    assertTrue(notices.get(0).startsWith("lost the controller's stream (UNAVAILABLE: Network"
        + " closed); the job goes on"), notices.get(0));
  }

  @Test
  void aControllerThatNeverComesBackEndsTheWatchOnceTheRetryingIsOver() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    OperatorClient client = serving(calls, job(JobState.JOB_RUNNING), HANDSHAKE);
    JobUpdates updates = new JobUpdates(client, "j1", text -> { }, Duration.ofMillis(1200));
    assertTrue(updates.hasNext());
    updates.next();
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, updates::hasNext);
    assertEquals(HANDSHAKE.getDescription(), e.getStatus().getDescription());
    // Half a second between tries: two or three within 1.2 s, never a busy loop.
    assertTrue(calls.get() >= 3 && calls.get() <= 5, "watch calls: " + calls.get());
  }

  @Test
  void aWatchRefusedBeforeAnyUpdateGivesUpAtOnce() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    OperatorClient client = serving(calls, HANDSHAKE);
    JobUpdates updates = new JobUpdates(client, "j1", text -> { }, Duration.ofSeconds(30));
    assertThrows(StatusRuntimeException.class, updates::hasNext);
    assertEquals(1, calls.get());
    // Another code than UNAVAILABLE is never watched again either.
    AtomicInteger others = new AtomicInteger();
    JobUpdates denied = new JobUpdates(serving(others, job(JobState.JOB_RUNNING),
        Status.NOT_FOUND), "j1", text -> { }, Duration.ofSeconds(30));
    denied.next();
    assertThrows(StatusRuntimeException.class, denied::hasNext);
    assertFalse(others.get() > 2, "calls: " + others.get());
  }
}
