package io.failback.controller.grpc;

import com.google.protobuf.util.Durations;
import io.failback.controller.cloud.CloudException;
import io.failback.controller.cloud.GuestSimulation;
import io.failback.controller.lifecycle.Lifecycle;
import io.failback.proto.v1.CloudSimulationServiceGrpc;
import io.failback.proto.v1.ProtectedItem;
import io.failback.proto.v1.WriteToCloudVmRequest;
import io.failback.proto.v1.WriteToCloudVmResponse;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.time.Duration;

/** gRPC adapter for the SIMULATION-ONLY {@code failback.v1.CloudSimulationService}. */
public final class SimulationServiceAdapter
    extends CloudSimulationServiceGrpc.CloudSimulationServiceImplBase {
  private final Lifecycle lifecycle;
  private final GuestSimulation simulation;

  public SimulationServiceAdapter(Lifecycle lifecycle, GuestSimulation simulation) {
    this.lifecycle = lifecycle;
    this.simulation = simulation;
  }

  @Override
  public void writeToCloudVm(WriteToCloudVmRequest request,
      StreamObserver<WriteToCloudVmResponse> responses) {
    try {
      if (request.getVmId().isEmpty()) {
        throw LifecycleStatus.empty("vm_id");
      }
      ProtectedItem item = lifecycle.item(request.getVmId());
      if (item.getCloudVmId().isEmpty()) {
        throw Status.FAILED_PRECONDITION.withDescription("vm " + request.getVmId()
            + " has no cloud copy (" + item.getState() + ")").asException();
      }
      Duration over = request.hasSpreadOver()
          ? Duration.ofMillis(Durations.toMillis(request.getSpreadOver())) : Duration.ZERO;
      int written = simulation.write(item.getCloudVmId(), request.getDiskIndex(),
          request.getBlocks(), request.getSeed(), over);
      responses.onNext(WriteToCloudVmResponse.newBuilder().setCloudVmId(item.getCloudVmId())
          .setBlocks(written).build());
      responses.onCompleted();
    } catch (CloudException e) {
      responses.onError((e.kind() == CloudException.Kind.NOT_FOUND ? Status.NOT_FOUND
          : Status.FAILED_PRECONDITION).withDescription(e.getMessage()).asException());
    } catch (Exception e) {
      responses.onError(LifecycleStatus.of(e));
    }
  }
}
