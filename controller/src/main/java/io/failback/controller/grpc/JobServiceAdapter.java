package io.failback.controller.grpc;

import io.failback.common.ids.VmId;
import io.failback.controller.lifecycle.IllegalTransitionException;
import io.failback.controller.lifecycle.Jobs;
import io.failback.controller.lifecycle.Lifecycle;
import io.failback.controller.lifecycle.NotFoundException;
import io.failback.controller.store.StoreException;
import io.failback.proto.v1.CancelJobRequest;
import io.failback.proto.v1.GetJobRequest;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.JobServiceGrpc;
import io.failback.proto.v1.ListJobsRequest;
import io.failback.proto.v1.ListJobsResponse;
import io.failback.proto.v1.ResumeJobRequest;
import io.failback.proto.v1.WatchJobRequest;
import io.grpc.StatusException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.function.UnaryOperator;

/** gRPC adapter for {@code failback.v1.JobService}: where operators follow and cancel jobs. */
public final class JobServiceAdapter extends JobServiceGrpc.JobServiceImplBase {
  private final Jobs jobs;
  private final Lifecycle lifecycle;
  private final UnaryOperator<Job> live;

  public JobServiceAdapter(Jobs jobs, Lifecycle lifecycle) {
    this(jobs, lifecycle, UnaryOperator.identity());
  }

  /** @param live adds what is only known while a job runs (its bandwidth) to each answer */
  public JobServiceAdapter(Jobs jobs, Lifecycle lifecycle, UnaryOperator<Job> live) {
    this.jobs = jobs;
    this.lifecycle = lifecycle;
    this.live = live;
  }

  @Override
  public void getJob(GetJobRequest request, StreamObserver<Job> responses) {
    answer(responses, () -> live.apply(jobs.get(requireJobId(request.getJobId()))));
  }

  @Override
  public void listJobs(ListJobsRequest request, StreamObserver<ListJobsResponse> responses) {
    answer(responses, () -> ListJobsResponse.newBuilder().addAllJobs(jobs.list(
        OperatorRequests.optionalVmId("vm_id", request.getVmId()).map(VmId::value).orElse(""))
        .stream().map(live).toList()).build());
  }

  @Override
  public void cancelJob(CancelJobRequest request, StreamObserver<Job> responses) {
    answer(responses, () -> jobs.cancel(requireJobId(request.getJobId())));
  }

  @Override
  public void resumeJob(ResumeJobRequest request, StreamObserver<Job> responses) {
    answer(responses, () -> lifecycle.resumeJob(requireJobId(request.getJobId())));
  }

  @Override
  public void watchJob(WatchJobRequest request, StreamObserver<Job> responses) {
    JobWatchStream stream = new JobWatchStream((ServerCallStreamObserver<Job>) responses,
        live);
    try {
      stream.attach(jobs.watch(requireJobId(request.getJobId()), stream::drain));
    } catch (StatusException | NotFoundException | StoreException e) {
      stream.fail(LifecycleStatus.of(e));
    }
  }

  private static String requireJobId(String jobId) throws StatusException {
    return OperatorRequests.jobId("job_id", jobId).value();
  }

  private interface Answer<T> {
    T get() throws StatusException, NotFoundException, IllegalTransitionException,
        StoreException;
  }

  private static <T> void answer(StreamObserver<T> responses, Answer<T> answer) {
    T value;
    try {
      value = answer.get();
    } catch (StatusException | NotFoundException | IllegalTransitionException
        | StoreException e) {
      responses.onError(LifecycleStatus.of(e));
      return;
    }
    responses.onNext(value);
    responses.onCompleted();
  }
}
