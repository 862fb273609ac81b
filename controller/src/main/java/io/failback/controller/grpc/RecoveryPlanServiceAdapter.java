package io.failback.controller.grpc;

import com.google.protobuf.Empty;
import io.failback.controller.plans.RecoveryPlanException;
import io.failback.controller.plans.RecoveryPlans;
import io.failback.controller.store.StoreException;
import io.failback.proto.v1.CreateRecoveryPlanRequest;
import io.failback.proto.v1.DeleteRecoveryPlanRequest;
import io.failback.proto.v1.GetRecoveryPlanRequest;
import io.failback.proto.v1.ListRecoveryPlansRequest;
import io.failback.proto.v1.ListRecoveryPlansResponse;
import io.failback.proto.v1.RecoveryPlan;
import io.failback.proto.v1.RecoveryPlanServiceGrpc;
import io.failback.proto.v1.UpdateRecoveryPlanRequest;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.stub.StreamObserver;

/** gRPC adapter for {@code failback.v1.RecoveryPlanService}: the plan definitions. */
public final class RecoveryPlanServiceAdapter
    extends RecoveryPlanServiceGrpc.RecoveryPlanServiceImplBase {
  private final RecoveryPlans plans;

  public RecoveryPlanServiceAdapter(RecoveryPlans plans) {
    this.plans = plans;
  }

  @Override
  public void createRecoveryPlan(CreateRecoveryPlanRequest request,
      StreamObserver<RecoveryPlan> responses) {
    answer(responses, () -> plans.create(requirePlan(request.hasPlan(), request.getPlan())));
  }

  @Override
  public void getRecoveryPlan(GetRecoveryPlanRequest request,
      StreamObserver<RecoveryPlan> responses) {
    answer(responses, () -> plans.get(request.getName()));
  }

  @Override
  public void listRecoveryPlans(ListRecoveryPlansRequest request,
      StreamObserver<ListRecoveryPlansResponse> responses) {
    answer(responses, () -> ListRecoveryPlansResponse.newBuilder().addAllPlans(plans.list())
        .build());
  }

  @Override
  public void updateRecoveryPlan(UpdateRecoveryPlanRequest request,
      StreamObserver<RecoveryPlan> responses) {
    answer(responses, () -> plans.update(requirePlan(request.hasPlan(), request.getPlan())));
  }

  @Override
  public void deleteRecoveryPlan(DeleteRecoveryPlanRequest request,
      StreamObserver<Empty> responses) {
    answer(responses, () -> {
      plans.delete(request.getName());
      return Empty.getDefaultInstance();
    });
  }

  private static RecoveryPlan requirePlan(boolean present, RecoveryPlan plan)
      throws StatusException {
    if (!present) {
      throw Status.INVALID_ARGUMENT.withDescription("plan is missing; send the whole plan:"
          + " name and groups").asException();
    }
    return plan;
  }

  private interface Answer<T> {
    T get() throws StatusException, RecoveryPlanException, StoreException;
  }

  private static <T> void answer(StreamObserver<T> responses, Answer<T> answer) {
    T value;
    try {
      value = answer.get();
    } catch (StatusException | RecoveryPlanException | StoreException e) {
      responses.onError(LifecycleStatus.of(e));
      return;
    }
    responses.onNext(value);
    responses.onCompleted();
  }
}
