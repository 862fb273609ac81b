package io.failback.controller.grpc;

import io.failback.controller.lifecycle.Lifecycle;
import io.failback.controller.lifecycle.LifecycleException;
import io.failback.controller.lifecycle.RecoveryPlanLookup;
import io.failback.controller.lifecycle.Targets;
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
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** gRPC adapter for {@code failback.v1.FailoverService}: the DR lifecycle. */
public final class FailoverServiceAdapter extends FailoverServiceGrpc.FailoverServiceImplBase {
  private final Lifecycle lifecycle;
  private final RecoveryPlanLookup plans;

  public FailoverServiceAdapter(Lifecycle lifecycle, RecoveryPlanLookup plans) {
    this.lifecycle = lifecycle;
    this.plans = plans;
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
    } catch (RuntimeException e) {
      // A bug, not a request the caller can fix: say so instead of leaving the call hanging.
      java.util.logging.Logger.getLogger(FailoverServiceAdapter.class.getName())
          .log(java.util.logging.Level.WARNING, "FailoverService failed", e);
      responses.onError(Status.INTERNAL.withDescription("controller error: " + e).asException());
      return;
    } catch (io.failback.controller.cloud.CloudException e) {
      responses.onError(Status.UNAVAILABLE.withDescription("cloud: " + e.getMessage())
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

  /** The VMs a request names: a list of VMs, or a recovery plan's groups. */
  private Targets targets(List<String> vmIds, String recoveryPlan) throws Exception {
    if (!recoveryPlan.isEmpty()) {
      if (!vmIds.isEmpty()) {
        throw Status.INVALID_ARGUMENT.withDescription("name either vm_ids or recovery_plan,"
            + " not both (got " + vmIds.size() + " VMs and plan '" + recoveryPlan + "')")
            .asException();
      }
      return plans.targets(recoveryPlan);
    }
    if (vmIds.isEmpty()) {
      throw Status.INVALID_ARGUMENT.withDescription("vm_ids is empty: name at least one VM,"
          + " or a recovery_plan").asException();
    }
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < vmIds.size(); i++) {
      String vmId = vmIds.get(i);
      if (vmId.isBlank()) {
        throw Status.INVALID_ARGUMENT.withDescription("vm_ids[" + i + "] is empty")
            .asException();
      }
      if (!seen.add(vmId.toLowerCase(Locale.ROOT))) {
        throw Status.INVALID_ARGUMENT.withDescription("vm_ids names '" + vmId + "' twice")
            .asException();
      }
    }
    return Targets.of(vmIds);
  }

  @Override
  public void plannedFailover(PlannedFailoverRequest request,
      StreamObserver<FailoverResponse> responses) {
    answer(responses, () -> {
      Targets targets = targets(request.getVmIdsList(), request.getRecoveryPlan());
      if (request.getValidateOnly()) {
        return FailoverResponse.newBuilder().setPreflight(lifecycle.preflight(targets,
            request.getTargetHost(), request.getEncryptionCertificate())).build();
      }
      return response(lifecycle.plannedFailover(targets, request.getDataSync(),
          request.getTargetHost(), request.getEncryptionCertificate()));
    });
  }

  @Override
  public void unplannedFailover(UnplannedFailoverRequest request,
      StreamObserver<FailoverResponse> responses) {
    answer(responses, () -> response(lifecycle.unplannedFailover(
        targets(request.getVmIdsList(), request.getRecoveryPlan()))));
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
        targets(request.getVmIdsList(), request.getRecoveryPlan()))));
  }

  @Override
  public void reverseReplicate(ReverseReplicateRequest request,
      StreamObserver<FailoverResponse> responses) {
    answer(responses, () -> response(lifecycle.reverseReplicate(
        targets(request.getVmIdsList(), request.getRecoveryPlan()))));
  }

  @Override
  public void enableProtection(EnableProtectionRequest request,
      StreamObserver<FailoverResponse> responses) {
    answer(responses, () -> response(lifecycle.enableProtection(
        targets(request.getVmIdsList(), "").vmIds(), request.getDataEncryption())));
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
