package io.failback.controller.grpc;

import com.google.protobuf.util.Durations;
import io.failback.common.ids.VmId;
import io.failback.controller.cloud.CloudException;
import io.failback.controller.cloud.GuestSimulation;
import io.failback.controller.lifecycle.Lifecycle;
import io.failback.proto.v1.CloudSimulationServiceGrpc;
import io.failback.proto.v1.ProtectedItem;
import io.failback.proto.v1.WriteToCloudVmRequest;
import io.failback.proto.v1.WriteToCloudVmResponse;
import io.grpc.Status;
import io.grpc.StatusException;
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

  /** Hyper-V attaches at most 256 disks to a VM (4 SCSI controllers of 64). */
  static final long MAX_DISK_INDEX = 255;
  /** 64 GiB of 64 KiB blocks: more than any simulated disk holds. */
  static final long MAX_BLOCKS = 1 << 20;
  static final Duration MAX_SPREAD = Duration.ofHours(1);

  private static Duration spreadOver(WriteToCloudVmRequest request) throws StatusException {
    if (!request.hasSpreadOver()) {
      return Duration.ZERO;
    }
    com.google.protobuf.Duration spread = request.getSpreadOver();
    if (!Durations.isValid(spread) || Durations.isNegative(spread)
        || Durations.toMillis(spread) > MAX_SPREAD.toMillis()) {
      throw OperatorRequests.invalid("spread_over must be a valid duration from 0 to 1 h; got "
          + spread.getSeconds() + " s and " + spread.getNanos() + " ns");
    }
    return Duration.ofMillis(Durations.toMillis(spread));
  }

  @Override
  public void writeToCloudVm(WriteToCloudVmRequest request,
      StreamObserver<WriteToCloudVmResponse> responses) {
    try {
      VmId vmId = OperatorRequests.vmId("vm_id", request.getVmId());
      int diskIndex = (int) OperatorRequests.atMost("disk_index",
          Integer.toUnsignedLong(request.getDiskIndex()), MAX_DISK_INDEX, "");
      int blocks = (int) OperatorRequests.atMost("blocks",
          Integer.toUnsignedLong(request.getBlocks()), MAX_BLOCKS, "blocks");
      Duration over = spreadOver(request);
      int writeBytes = request.getWriteBytes() == 0 ? GuestSimulation.MAX_WRITE
          : request.getWriteBytes();
      if (writeBytes < GuestSimulation.MIN_WRITE || writeBytes > GuestSimulation.MAX_WRITE
          || Integer.bitCount(writeBytes) != 1) {
        throw OperatorRequests.invalid("write_bytes must be 0 (64 KiB) or a power of two from"
            + " 4096 to 65536; got " + Integer.toUnsignedLong(request.getWriteBytes()));
      }
      ProtectedItem item = lifecycle.item(vmId.value());
      if (item.getCloudVmId().isEmpty()) {
        throw Status.FAILED_PRECONDITION.withDescription("vm " + vmId
            + " has no cloud copy (" + item.getState() + ")").asException();
      }
      int written = simulation.write(item.getCloudVmId(), diskIndex, blocks, request.getSeed(),
          over, writeBytes);
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
