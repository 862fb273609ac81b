package io.failback.controller.grpc;

import io.failback.controller.lifecycle.Lifecycle;
import io.failback.controller.lifecycle.LifecycleException;
import io.failback.proto.v1.CommitRequest;
import io.failback.proto.v1.CompleteFailoverRequest;
import io.failback.proto.v1.EnableProtectionRequest;
import io.failback.proto.v1.FailoverResponse;
import io.failback.proto.v1.FailoverServiceGrpc;
import io.failback.proto.v1.GetProtectedItemRequest;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.ListProtectedItemsRequest;
import io.failback.proto.v1.ListProtectedItemsResponse;
import io.failback.proto.v1.PlannedFailoverRequest;
import io.failback.proto.v1.ProtectedItem;
import io.failback.proto.v1.ReverseReplicateRequest;
import io.failback.proto.v1.UnplannedFailoverRequest;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.stub.StreamObserver;
import java.util.List;

/** gRPC adapter for {@code failback.v1.FailoverService}: the DR lifecycle. */
public final class FailoverServiceAdapter extends FailoverServiceGrpc.FailoverServiceImplBase {
  private final Lifecycle lifecycle;

  public FailoverServiceAdapter(Lifecycle lifecycle) {
    this.lifecycle = lifecycle;
  }

  private interface Action<T> {
    T run() throws Exception;
  }

  private static <T> void answer(StreamObserver<T> responses, Action<T> action) {
    T value;
    try {
      value = action.run();
    } catch (LifecycleException e) {
      responses.onError(Status.FAILED_PRECONDITION.withDescription(e.getMessage())
          .asException());
      return;
    } catch (Exception e) {
      responses.onError(LifecycleStatus.of(e));
      return;
    }
    responses.onNext(value);
    responses.onCompleted();
  }

  private static FailoverResponse response(Job job) {
    return FailoverResponse.newBuilder().setJob(job).setDirection(job.getDirection()).build();
  }

  /** This version acts on one VM per request; recovery plans group VMs (a later release). */
  private static String oneVm(List<String> vmIds, String recoveryPlan) throws StatusException {
    if (!recoveryPlan.isEmpty()) {
      throw Status.UNIMPLEMENTED.withDescription("recovery plans are not available in this"
          + " controller version; name the VM in vm_ids").asException();
    }
    if (vmIds.size() != 1 || vmIds.get(0).isEmpty()) {
      throw Status.INVALID_ARGUMENT.withDescription("vm_ids must name exactly one VM (got "
          + vmIds.size() + "); run one request per VM").asException();
    }
    return vmIds.get(0);
  }

  @Override
  public void plannedFailover(PlannedFailoverRequest request,
      StreamObserver<FailoverResponse> responses) {
    answer(responses, () -> {
      String vmId = oneVm(request.getVmIdsList(), request.getRecoveryPlan());
      if (!request.getTargetHost().isEmpty()
          && !request.getTargetHost().equalsIgnoreCase(lifecycle.item(vmId).getOnPremHost())) {
        throw Status.UNIMPLEMENTED.withDescription("failback to an alternate host is not"
            + " available in this controller version; leave target_host empty for the"
            + " original host " + lifecycle.item(vmId).getOnPremHost()).asException();
      }
      if (!request.getEncryptionCertificate().isEmpty()) {
        throw Status.UNIMPLEMENTED.withDescription("data encryption is not available in this"
            + " controller version; leave encryption_certificate empty").asException();
      }
      return response(lifecycle.plannedFailover(vmId, request.getDataSync()));
    });
  }

  @Override
  public void unplannedFailover(UnplannedFailoverRequest request,
      StreamObserver<FailoverResponse> responses) {
    answer(responses, () -> response(lifecycle.unplannedFailover(
        oneVm(request.getVmIdsList(), request.getRecoveryPlan()))));
  }

  @Override
  public void completeFailover(CompleteFailoverRequest request,
      StreamObserver<FailoverResponse> responses) {
    answer(responses, () -> {
      if (request.getJobId().isEmpty()) {
        throw LifecycleStatus.empty("job_id");
      }
      return response(lifecycle.completeFailover(request.getJobId()));
    });
  }

  @Override
  public void commit(CommitRequest request, StreamObserver<FailoverResponse> responses) {
    answer(responses, () -> response(lifecycle.commit(
        oneVm(request.getVmIdsList(), request.getRecoveryPlan()))));
  }

  @Override
  public void reverseReplicate(ReverseReplicateRequest request,
      StreamObserver<FailoverResponse> responses) {
    answer(responses, () -> response(lifecycle.reverseReplicate(
        oneVm(request.getVmIdsList(), request.getRecoveryPlan()))));
  }

  @Override
  public void enableProtection(EnableProtectionRequest request,
      StreamObserver<FailoverResponse> responses) {
    answer(responses, () -> response(lifecycle.enableProtection(
        oneVm(request.getVmIdsList(), ""))));
  }

  @Override
  public void listProtectedItems(ListProtectedItemsRequest request,
      StreamObserver<ListProtectedItemsResponse> responses) {
    answer(responses, () -> ListProtectedItemsResponse.newBuilder()
        .addAllItems(lifecycle.items()).build());
  }

  @Override
  public void getProtectedItem(GetProtectedItemRequest request,
      StreamObserver<ProtectedItem> responses) {
    answer(responses, () -> {
      if (request.getVmId().isEmpty()) {
        throw LifecycleStatus.empty("vm_id");
      }
      return lifecycle.item(request.getVmId());
    });
  }
}
