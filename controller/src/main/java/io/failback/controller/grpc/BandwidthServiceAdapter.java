package io.failback.controller.grpc;

import com.google.protobuf.util.Timestamps;
import io.failback.common.grpc.AuthContext;
import io.failback.controller.bandwidth.BandwidthControl;
import io.failback.controller.bandwidth.LimitScope;
import io.failback.proto.v1.BandwidthLimit;
import io.failback.proto.v1.BandwidthScope;
import io.failback.proto.v1.BandwidthServiceGrpc;
import io.failback.proto.v1.ListBandwidthLimitsRequest;
import io.failback.proto.v1.ListBandwidthLimitsResponse;
import io.failback.proto.v1.SetBandwidthLimitRequest;
import io.grpc.StatusException;
import io.grpc.stub.StreamObserver;

/** gRPC adapter for {@code failback.v1.BandwidthService}: operators' bandwidth limits. */
public final class BandwidthServiceAdapter extends BandwidthServiceGrpc.BandwidthServiceImplBase {
  private final BandwidthControl control;

  public BandwidthServiceAdapter(BandwidthControl control) {
    this.control = control;
  }

  @Override
  public void setBandwidthLimit(SetBandwidthLimitRequest request,
      StreamObserver<BandwidthLimit> responses) {
    BandwidthControl.View set;
    try {
      set = control.set(scope(request.getScope(), request.getName()), request.getSchedule(),
          AuthContext.peer().spiffeId());
    } catch (Exception e) {
      responses.onError(LifecycleStatus.of(e));
      return;
    }
    responses.onNext(shown(set));
    responses.onCompleted();
  }

  @Override
  public void listBandwidthLimits(ListBandwidthLimitsRequest request,
      StreamObserver<ListBandwidthLimitsResponse> responses) {
    ListBandwidthLimitsResponse.Builder list = ListBandwidthLimitsResponse.newBuilder();
    try {
      control.list().forEach(view -> list.addLimits(shown(view)));
    } catch (Exception e) {
      responses.onError(LifecycleStatus.of(e));
      return;
    }
    responses.onNext(list.build());
    responses.onCompleted();
  }

  /** The request's scope, its name checked as the ids and names of other requests are. */
  private static LimitScope scope(BandwidthScope scope, String name) throws StatusException {
    return switch (scope) {
      case BANDWIDTH_GLOBAL -> {
        if (!name.isEmpty()) {
          throw OperatorRequests.invalid("name must be empty for BANDWIDTH_GLOBAL");
        }
        yield LimitScope.GLOBAL;
      }
      case BANDWIDTH_HOST -> LimitScope.host(OperatorRequests.hostName("name", name).value());
      case BANDWIDTH_JOB -> LimitScope.job(OperatorRequests.jobId("name", name).value());
      case BANDWIDTH_RECOVERY_PLAN ->
          LimitScope.plan(OperatorRequests.planName("name", name).value());
      default -> throw OperatorRequests.invalid("scope must be BANDWIDTH_GLOBAL, BANDWIDTH_HOST,"
          + " BANDWIDTH_JOB or BANDWIDTH_RECOVERY_PLAN");
    };
  }

  private static BandwidthLimit shown(BandwidthControl.View view) {
    BandwidthLimit.Builder shown = BandwidthLimit.newBuilder()
        .setScope(switch (view.scope().kind()) {
          case GLOBAL -> BandwidthScope.BANDWIDTH_GLOBAL;
          case HOST -> BandwidthScope.BANDWIDTH_HOST;
          case JOB -> BandwidthScope.BANDWIDTH_JOB;
          case PLAN -> BandwidthScope.BANDWIDTH_RECOVERY_PLAN;
        })
        .setName(view.scope().name()).setSchedule(view.schedule()).setSource(view.source())
        .setCurrentBitsPerSecond(view.now().bytesPerSecond().orElse(0) * 8)
        .setCurrentWindow(view.now().because());
    view.record().ifPresent(record -> shown.setSetBy(record.setBy())
        .setUpdatedAt(Timestamps.fromMillis(record.updatedAt().toEpochMilli())));
    return shown.build();
  }
}
