package io.failback.controller.grpc;

import io.failback.common.ids.HostName;
import io.failback.common.ids.Thumbprint;
import io.failback.common.ids.VmId;
import io.failback.common.text.BoundedText;
import io.failback.controller.lifecycle.Lifecycle;
import io.failback.controller.lifecycle.LifecycleException;
import io.failback.controller.lifecycle.RecoveryPlanLookup;
import io.failback.controller.lifecycle.Targets;
import io.failback.controller.tuning.TransferRequest;
import io.failback.proto.v1.CommitRequest;
import io.failback.proto.v1.CompleteFailoverRequest;
import io.failback.proto.v1.DataSync;
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
import io.failback.proto.v1.TransferOptions;
import io.failback.proto.v1.UnplannedFailoverRequest;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.Optional;

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
      org.slf4j.LoggerFactory.getLogger(FailoverServiceAdapter.class)
          .warn("FailoverService failed", e);
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

  /** The answer to a request that may have been validate-only ({@code job} null). */
  private static FailoverResponse response(Job job,
      io.failback.proto.v1.FailoverDirection validated) {
    return job == null ? FailoverResponse.newBuilder().setDirection(validated).build()
        : response(job);
  }

  /** The VMs a request names: a list of VMs, or a recovery plan's groups. */
  private Targets targets(List<String> vmIds, String recoveryPlan) throws Exception {
    if (!recoveryPlan.isEmpty()) {
      if (!vmIds.isEmpty()) {
        throw OperatorRequests.invalid("name either vm_ids or recovery_plan, not both (got "
            + vmIds.size() + " VMs and plan " + BoundedText.echo(recoveryPlan) + ")");
      }
      return plans.targets(OperatorRequests.planName("recovery_plan", recoveryPlan).value());
    }
    if (vmIds.isEmpty()) {
      throw OperatorRequests.invalid("vm_ids is empty: name at least one VM, or a"
          + " recovery_plan");
    }
    return Targets.of(OperatorRequests.vmIds("vm_ids", vmIds).stream().map(VmId::value)
        .toList());
  }

  @Override
  public void plannedFailover(PlannedFailoverRequest request,
      StreamObserver<FailoverResponse> responses) {
    answer(responses, () -> {
      Targets targets = targets(request.getVmIdsList(), request.getRecoveryPlan());
      // RequestShape has refused numbers outside the enum: only the three values get here.
      DataSync dataSync = request.getDataSync();
      Optional<HostName> targetHost = OperatorRequests.optionalHostName("target_host",
          request.getTargetHost());
      Optional<Thumbprint> certificate = OperatorRequests.optionalThumbprint(
          "encryption_certificate", request.getEncryptionCertificate());
      TransferOptions transfer = transfer(request.getTransfer());
      if (request.getValidateOnly()) {
        return FailoverResponse.newBuilder().setPreflight(lifecycle.preflight(targets,
            dataSync, targetHost, certificate)).build();
      }
      return response(lifecycle.plannedFailover(targets, dataSync, targetHost, certificate,
          transfer));
    });
  }

  /** {@code options} if they are in range; INVALID_ARGUMENT naming the field otherwise. */
  private static TransferOptions transfer(TransferOptions options) throws StatusException {
    try {
      TransferRequest.of(options);
      return options;
    } catch (IllegalArgumentException e) {
      throw OperatorRequests.invalid(e.getMessage());
    }
  }

  @Override
  public void unplannedFailover(UnplannedFailoverRequest request,
      StreamObserver<FailoverResponse> responses) {
    answer(responses, () -> {
      Targets targets = targets(request.getVmIdsList(), request.getRecoveryPlan());
      if (request.getValidateOnly()) {
        return FailoverResponse.newBuilder().setPreflight(lifecycle.unplannedPreflight(targets))
            .setDirection(io.failback.proto.v1.FailoverDirection.ON_PREM_TO_CLOUD).build();
      }
      return response(lifecycle.unplannedFailover(targets));
    });
  }

  @Override
  public void completeFailover(CompleteFailoverRequest request,
      StreamObserver<FailoverResponse> responses) {
    answer(responses, () -> response(lifecycle.completeFailover(
        OperatorRequests.jobId("job_id", request.getJobId()).value())));
  }

  @Override
  public void commit(CommitRequest request, StreamObserver<FailoverResponse> responses) {
    answer(responses, () -> response(lifecycle.commit(
        targets(request.getVmIdsList(), request.getRecoveryPlan()))));
  }

  @Override
  public void rollbackFailback(io.failback.proto.v1.RollbackFailbackRequest request,
      StreamObserver<FailoverResponse> responses) {
    answer(responses, () -> response(lifecycle.rollbackFailback(targets(
        request.getVmIdsList(), request.getRecoveryPlan()), request.getValidateOnly()),
        io.failback.proto.v1.FailoverDirection.ON_PREM_TO_CLOUD));
  }

  @Override
  public void testFailback(io.failback.proto.v1.TestFailbackRequest request,
      StreamObserver<FailoverResponse> responses) {
    answer(responses, () -> response(lifecycle.testFailback(targets(request.getVmIdsList(),
        request.getRecoveryPlan()), OperatorRequests.optionalHostName("target_host",
            request.getTargetHost()).map(HostName::value).orElse(""),
        request.getValidateOnly(), false), io.failback.proto.v1.FailoverDirection
        .CLOUD_TO_ON_PREM));
  }

  @Override
  public void cleanupTestFailback(io.failback.proto.v1.CleanupTestFailbackRequest request,
      StreamObserver<FailoverResponse> responses) {
    answer(responses, () -> response(lifecycle.testFailback(targets(request.getVmIdsList(),
        request.getRecoveryPlan()), "", false, true)));
  }

  @Override
  public void reverseReplicate(ReverseReplicateRequest request,
      StreamObserver<FailoverResponse> responses) {
    answer(responses, () -> response(lifecycle.reverseReplicate(
        targets(request.getVmIdsList(), request.getRecoveryPlan()),
        transfer(request.getTransfer()))));
  }

  @Override
  public void enableProtection(EnableProtectionRequest request,
      StreamObserver<FailoverResponse> responses) {
    answer(responses, () -> response(lifecycle.enableProtection(
        OperatorRequests.vmIds("vm_ids", request.getVmIdsList()).stream().map(VmId::value)
            .toList(), request.getDataEncryption(), transfer(request.getTransfer()),
        request.getCloudDevices())));
  }

  @Override
  public void listProtectedItems(ListProtectedItemsRequest request,
      StreamObserver<ListProtectedItemsResponse> responses) {
    answer(responses, () -> ListProtectedItemsResponse.newBuilder()
        .addAllItems(lifecycle.items()).build());
  }

  @Override
  public void setRpoTarget(io.failback.proto.v1.SetRpoTargetRequest request,
      StreamObserver<ListProtectedItemsResponse> responses) {
    answer(responses, () -> {
      if (!request.hasRpoTarget()) {
        throw OperatorRequests.invalid("rpo_target is missing: give a duration from 1 minute"
            + " to 30 days, e.g. {\"rpoTarget\": \"900s\"}");
      }
      if (!com.google.protobuf.util.Durations.isValid(request.getRpoTarget())) {
        throw OperatorRequests.invalid("rpo_target is not a valid duration");
      }
      java.time.Duration target = java.time.Duration.ofMillis(
          com.google.protobuf.util.Durations.toMillis(request.getRpoTarget()));
      var items = lifecycle.setRpoTarget(
          targets(request.getVmIdsList(), request.getRecoveryPlan()).vmIds(), target);
      if (!request.getRecoveryPlan().isEmpty()) {
        // VMs added to the plan later get it too.
        plans.rememberRpoTarget(request.getRecoveryPlan(), target);
      }
      return ListProtectedItemsResponse.newBuilder().addAllItems(items).build();
    });
  }

  @Override
  public void setCloudDevices(io.failback.proto.v1.SetCloudDevicesRequest request,
      StreamObserver<ListProtectedItemsResponse> responses) {
    answer(responses, () -> ListProtectedItemsResponse.newBuilder().addAllItems(
        lifecycle.setCloudDevices(targets(request.getVmIdsList(), request.getRecoveryPlan())
            .vmIds(), request.getCloudDevices())).build());
  }

  @Override
  public void restartCloudVm(io.failback.proto.v1.RestartCloudVmRequest request,
      StreamObserver<FailoverResponse> responses) {
    answer(responses, () -> response(lifecycle.restartCloudVm(targets(request.getVmIdsList(),
        request.getRecoveryPlan()), request.getCloudDevices(), request.getForce())));
  }

  @Override
  public void disableProtection(io.failback.proto.v1.DisableProtectionRequest request,
      StreamObserver<FailoverResponse> responses) {
    answer(responses, () -> response(lifecycle.disableProtection(
        targets(request.getVmIdsList(), request.getRecoveryPlan()), plans,
        request.getKeepCloudVm())));
  }

  @Override
  public void getProtectedItem(GetProtectedItemRequest request,
      StreamObserver<ProtectedItem> responses) {
    answer(responses, () -> lifecycle.item(
        OperatorRequests.vmId("vm_id", request.getVmId()).value()));
  }
}
