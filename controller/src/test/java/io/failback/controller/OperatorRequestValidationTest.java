package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.UnknownFieldSet;
import io.failback.common.testing.GrpcCleanup;
import io.failback.common.testing.RawCalls;
import io.failback.common.text.BoundedText;
import io.failback.proto.v1.Compression;
import io.failback.proto.v1.EnableProtectionRequest;
import io.failback.proto.v1.FailoverServiceGrpc;
import io.failback.proto.v1.GetHostRequest;
import io.failback.proto.v1.GetJobRequest;
import io.failback.proto.v1.InventoryServiceGrpc;
import io.failback.proto.v1.JobServiceGrpc;
import io.failback.proto.v1.PlannedFailoverRequest;
import io.failback.proto.v1.ReverseReplicateRequest;
import io.failback.proto.v1.TransferOptions;
import io.failback.proto.v1.WriteToCloudVmRequest;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * Operator requests that cannot be right are INVALID_ARGUMENT naming the field, before anything
 * is looked up or started, and the description stays within its bound whatever the input; over
 * real mutual TLS, where an oversized description would break the connection.
 */
class OperatorRequestValidationTest {
  private static final String VM = "8f2c1a3e-5b7d-4e09-a1c2-3d4e5f607182";
  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir java.nio.file.Path dir;
  ControllerFixture controller;
  ManagedChannel channel;

  @BeforeEach
  void start() throws Exception {
    controller = cleanup.register(new ControllerFixture(dir));
    controller.server = ControllerServer.start(controller.config(0).withSimulation(true),
        controller.clock);
    channel = controller.channel(controller.pki.operator("ops"));
    cleanup.register(channel::shutdownNow);
  }

  @Test
  void anUnknownDataSyncIsRefusedAndStartsNothing() throws Exception {
    for (int dataSync : List.of(99, -1)) {
      for (boolean validateOnly : List.of(false, true)) {
        Status status = refused(() -> FailoverServiceGrpc.newBlockingStub(channel)
            .plannedFailover(PlannedFailoverRequest.newBuilder().addVmIds(VM)
                .setDataSyncValue(dataSync).setValidateOnly(validateOnly).build()));
        assertTrue(status.getDescription().startsWith("data_sync: " + dataSync
            + " is not a DataSync value; use one of DATA_SYNC_UNSPECIFIED, SYNC_BEFORE_FAILOVER,"
            + " FULL_DOWNLOAD"), status.getDescription());
      }
    }
    assertEquals(List.of(), controller.server.jobs().list(""));
  }

  @Test
  void transferOptionsOutOfRangeAreRefusedAndStartNothing() throws Exception {
    Map<String, TransferOptions> cases = Map.of(
        "transfer.compression: 7 is not a Compression value",
        TransferOptions.newBuilder().setCompressionValue(7).build(),
        "transfer.compression_level 20 must be 1..19 (0 for 3)",
        TransferOptions.newBuilder().setCompression(Compression.COMPRESSION_ZSTD)
            .setCompressionLevel(20).build(),
        "transfer.compression_level 3 needs transfer.compression COMPRESSION_ZSTD",
        TransferOptions.newBuilder().setCompression(Compression.COMPRESSION_LZ4)
            .setCompressionLevel(3).build(),
        "transfer.lanes_per_disk 17 must be 1..16 (0 for 2)",
        TransferOptions.newBuilder().setLanesPerDisk(17).build(),
        "transfer.block_size 12288 must be a power of two from 4096 to 1048576 bytes",
        TransferOptions.newBuilder().setBlockSize(12288).build(),
        "transfer.block_size 2097152 must be a power of two from 4096 to 1048576 bytes",
        TransferOptions.newBuilder().setBlockSize(2 << 20).build());
    for (Map.Entry<String, TransferOptions> c : cases.entrySet()) {
      for (boolean validateOnly : List.of(false, true)) {
        Status status = refused(() -> FailoverServiceGrpc.newBlockingStub(channel)
            .plannedFailover(PlannedFailoverRequest.newBuilder().addVmIds(VM)
                .setTransfer(c.getValue()).setValidateOnly(validateOnly).build()));
        assertTrue(status.getDescription().startsWith(c.getKey()), status.getDescription());
      }
      // The same for the jobs whose own replication takes them.
      Status protect = refused(() -> FailoverServiceGrpc.newBlockingStub(channel)
          .enableProtection(EnableProtectionRequest.newBuilder().addVmIds(VM)
              .setTransfer(c.getValue()).build()));
      assertTrue(protect.getDescription().startsWith(c.getKey()), protect.getDescription());
      Status reverse = refused(() -> FailoverServiceGrpc.newBlockingStub(channel)
          .reverseReplicate(ReverseReplicateRequest.newBuilder().addVmIds(VM)
              .setTransfer(c.getValue()).build()));
      assertTrue(reverse.getDescription().startsWith(c.getKey()), reverse.getDescription());
    }
    assertEquals(List.of(), controller.server.jobs().list(""));
    assertEquals(List.of(), controller.server.lifecycle().items(), "no item was created");
  }

  @Test
  void aHugeIdIsNamedButNotEchoedInFull() throws Exception {
    Status huge = refused(() -> FailoverServiceGrpc.newBlockingStub(channel).plannedFailover(
        PlannedFailoverRequest.newBuilder().addVmIds("x".repeat(1 << 20)).build()));
    assertEquals("vm_ids[0] has 1048576 characters; at most 4096 are accepted",
        huge.getDescription());
    Status longer = refused(() -> FailoverServiceGrpc.newBlockingStub(channel).plannedFailover(
        PlannedFailoverRequest.newBuilder().addVmIds(VM).addVmIds("y".repeat(4000)).build()));
    assertTrue(longer.getDescription().startsWith("vm_ids[1] '" + "y".repeat(64)
        + "'… (4000 characters) is not a VM id"), longer.getDescription());
  }

  @Test
  void twentyThousandVmsAreRefusedWithAShortDescription() throws Exception {
    List<String> ids = IntStream.range(0, 20_000).mapToObj(i -> UUID.randomUUID().toString())
        .toList();
    Status status = refused(() -> FailoverServiceGrpc.newBlockingStub(channel).plannedFailover(
        PlannedFailoverRequest.newBuilder().addAllVmIds(ids).build()));
    assertEquals("vm_ids has 20000 items; at most 1000 are accepted in one request",
        status.getDescription());
  }

  @Test
  void idsThatCouldBePathsAreRefused() throws Exception {
    Status vm = refused(() -> FailoverServiceGrpc.newBlockingStub(channel).plannedFailover(
        PlannedFailoverRequest.newBuilder().addVmIds("../../etc").build()));
    assertTrue(vm.getDescription().startsWith("vm_ids[0] '../../etc' is not a VM id"),
        vm.getDescription());
    Status host = refused(() -> InventoryServiceGrpc.newBlockingStub(channel).getHost(
        GetHostRequest.newBuilder().setHostName("..").build()));
    assertTrue(host.getDescription().startsWith("host_name '..' is not a host name"),
        host.getDescription());
    Status target = refused(() -> FailoverServiceGrpc.newBlockingStub(channel).plannedFailover(
        PlannedFailoverRequest.newBuilder().addVmIds(VM).setTargetHost("hv/../x").build()));
    assertTrue(target.getDescription().startsWith("target_host 'hv/../x' is not a host name"),
        target.getDescription());
    Status job = refused(() -> JobServiceGrpc.newBlockingStub(channel).getJob(
        GetJobRequest.newBuilder().setJobId("1; DROP TABLE jobs").build()));
    assertTrue(job.getDescription().startsWith("job_id '1; DROP TABLE jobs' is not a job id"),
        job.getDescription());
    Status thumbprint = refused(() -> FailoverServiceGrpc.newBlockingStub(channel)
        .plannedFailover(PlannedFailoverRequest.newBuilder().addVmIds(VM)
            .setEncryptionCertificate("zz").build()));
    assertTrue(thumbprint.getDescription().startsWith("encryption_certificate 'zz' is not a"
        + " certificate thumbprint"), thumbprint.getDescription());
  }

  @Test
  void anUnknownFieldIsRefusedRatherThanIgnored() throws Exception {
    PlannedFailoverRequest newer = PlannedFailoverRequest.newBuilder().addVmIds(VM)
        .setUnknownFields(UnknownFieldSet.newBuilder().addField(77,
            UnknownFieldSet.Field.newBuilder().addVarint(1).build()).build()).build();
    Status status = refused(() -> FailoverServiceGrpc.newBlockingStub(channel)
        .plannedFailover(newer));
    assertEquals("PlannedFailoverRequest carries field number 77, which this controller does"
        + " not know; is the client newer than the controller?", status.getDescription());
  }

  @Test
  void bytesThatDoNotParseAreInvalidArgumentNotUnknown() throws Exception {
    byte[] notUtf8 = {0x0a, 0x02, (byte) 0xc3, 0x28};
    Status status = refused(() -> RawCalls.unary(channel,
        FailoverServiceGrpc.getPlannedFailoverMethod(), notUtf8));
    assertTrue(status.getDescription().startsWith("the request is not a valid"
        + " failback.v1.FailoverService/PlannedFailover request message"),
        status.getDescription());
  }

  @Test
  void simulationNumbersAreBounded() throws Exception {
    ManagedChannel simulator = controller.channel(controller.pki.simulator("guests"));
    cleanup.register(simulator::shutdownNow);
    Status status = refused(() -> io.failback.proto.v1.CloudSimulationServiceGrpc
        .newBlockingStub(simulator).writeToCloudVm(WriteToCloudVmRequest.newBuilder()
            .setVmId(VM).setDiskIndex(-1).setBlocks(3).build()));
    assertEquals("disk_index is 4294967295; at most 255", status.getDescription());
    for (int writeBytes : new int[] {-1, 2048, 12288, 128 * 1024}) {
      Status odd = refused(() -> io.failback.proto.v1.CloudSimulationServiceGrpc
          .newBlockingStub(simulator).writeToCloudVm(WriteToCloudVmRequest.newBuilder()
              .setVmId(VM).setBlocks(3).setWriteBytes(writeBytes).build()));
      assertEquals("write_bytes must be 0 (64 KiB) or a power of two from 4096 to 65536; got "
          + Integer.toUnsignedLong(writeBytes), odd.getDescription());
    }
  }

  /** The call fails with INVALID_ARGUMENT and a description within the bound. */
  private static Status refused(Executable call) {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call);
    Status status = e.getStatus();
    assertEquals(Status.Code.INVALID_ARGUMENT, status.getCode(), status.toString());
    assertTrue(status.getDescription().getBytes(StandardCharsets.UTF_8).length
        <= BoundedText.MAX_DESCRIPTION_BYTES, status.getDescription().length() + " chars");
    return status;
  }
}
