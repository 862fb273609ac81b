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
import io.failback.proto.v1.RecoveryPlanGroup;
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
    answer(responses, () -> plans.get(OperatorRequests.planName("name", request.getName())
        .value()));
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
      plans.delete(OperatorRequests.planName("name", request.getName()).value());
      return Empty.getDefaultInstance();
    });
  }

  /**
   * The plan with its name and VM ids in their value forms; the plan's own rules (groups,
   * delays, manual actions, VMs protected) are RecoveryPlans'.
   */
  private static RecoveryPlan requirePlan(boolean present, RecoveryPlan plan)
      throws StatusException {
    if (!present) {
      throw Status.INVALID_ARGUMENT.withDescription("plan is missing; send the whole plan:"
          + " name and groups").asException();
    }
    OperatorRequests.planName("plan.name", plan.getName());
    RecoveryPlan.Builder checked = plan.toBuilder();
    int vms = 0;
    for (int g = 0; g < plan.getGroupsCount(); g++) {
      RecoveryPlanGroup group = plan.getGroups(g);
      vms += group.getVmIdsCount();
      if (vms > OperatorRequests.MAX_VMS) {
        throw OperatorRequests.invalid("plan names more than " + OperatorRequests.MAX_VMS
            + " VMs; split it into several plans");
      }
      RecoveryPlanGroup.Builder ids = checked.getGroupsBuilder(g).clearVmIds();
      for (int v = 0; v < group.getVmIdsCount(); v++) {
        ids.addVmIds(OperatorRequests.vmId("plan.groups[" + g + "].vm_ids[" + v + "]",
            group.getVmIds(v)).value());
      }
    }
    return checked.build();
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
