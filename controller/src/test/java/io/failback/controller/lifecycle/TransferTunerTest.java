package io.failback.controller.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.sync.SyncActivity;
import io.failback.common.testing.MutableClock;
import io.failback.controller.store.ControllerStore;
import io.failback.controller.tuning.TransferSettings;
import io.failback.proto.v1.FailoverDirection;
import io.failback.proto.v1.JobResume;
import io.failback.proto.v1.SyncMode;
import io.failback.proto.v1.SyncReport;
import io.failback.proto.v1.SyncRole;
import io.failback.proto.v1.TransferOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An upload's lanes follow the host's round trip, and once a job chose them for a VM its later
 * and continued uploads of that VM keep them, whatever the round trip says then: its durable
 * lane checkpoints hold only for the same lanes.
 */
class TransferTunerTest {
  @TempDir Path dir;
  private ControllerStore store;
  private Jobs jobs;
  private final AtomicReference<Optional<Duration>> roundTrip =
      new AtomicReference<>(Optional.empty());
  private TransferTuner tuner;
  private Timings timings;

  @BeforeEach
  void open() throws Exception {
    store = ControllerStore.open(dir.resolve("controller.db"));
    jobs = new Jobs(store.jobRecords(), new MutableClock(Instant.parse("2026-12-06T10:00:00Z")));
    timings = new Timings(host -> roundTrip.get());
    tuner = new TransferTuner(jobs, timings);
  }

  @AfterEach
  void close() throws Exception {
    store.close();
  }

  private String job(String... vms) throws Exception {
    Map<String, List<String>> disks = new java.util.LinkedHashMap<>();
    for (String vm : vms) {
      disks.put(vm, List.of("d0"));
    }
    return jobs.create("EnableProtection", FailoverDirection.ON_PREM_TO_CLOUD, "", disks)
        .getId();
  }

  private TransferSettings settings(String jobId, String vm, SyncRole agent) {
    return tuner.settings(new DiskTransfer.Plan(jobId, vm, "hv-01", 1, SyncMode.FULL, agent,
        "s", "", 0), OptionalLong.empty(), 1);
  }

  private JobResume resume(String jobId) throws Exception {
    return jobs.get(jobId).getResume();
  }

  @Test
  void aJobKeepsTheLanesItsFirstUploadOfAVmChose() throws Exception {
    String jobId = job("vm-1", "vm-2");
    roundTrip.set(Optional.of(Duration.ofMillis(120)));
    TransferSettings first = settings(jobId, "vm-1", SyncRole.SOURCE);
    assertEquals(4, first.lanesPerDisk());
    assertTrue(first.because().contains("; lanes chosen: round trip 120.0 ms"), first.because());
    assertEquals(Map.of("vm-1", 4), resume(jobId).getUploadLanesMap());

    // The controller restarted (nothing measured yet), or the link got short: the VM's next
    // pass of the same job keeps 4.
    roundTrip.set(Optional.empty());
    TransferSettings continued = settings(jobId, "vm-1", SyncRole.SOURCE);
    assertEquals(4, continued.lanesPerDisk());
    assertTrue(continued.because().endsWith("; lanes chosen: as for the job's first upload of"
        + " the VM"), continued.because());
    // Another VM of the job chooses its own; a new job chooses afresh.
    roundTrip.set(Optional.of(Duration.ofMillis(1)));
    assertEquals(2, settings(jobId, "vm-2", SyncRole.SOURCE).lanesPerDisk());
    assertEquals(Map.of("vm-1", 4, "vm-2", 2), resume(jobId).getUploadLanesMap());
    String next = job("vm-1");
    assertEquals(2, settings(next, "vm-1", SyncRole.SOURCE).lanesPerDisk());
  }

  @Test
  void downloadsCyclesAndAskedLanesKeepNothing() throws Exception {
    roundTrip.set(Optional.of(Duration.ofMillis(120)));
    String jobId = job("vm-1");
    TransferSettings download = settings(jobId, "vm-1", SyncRole.TARGET);
    assertEquals(2, download.lanesPerDisk(), "the agent's own window fills a long link");
    assertFalse(download.because().contains("lanes chosen"), download.because());
    // A replication cycle is no job: it chooses each time.
    assertEquals(4, settings("", "vm-1", SyncRole.SOURCE).lanesPerDisk());
    String asked = jobs.editResume(job("vm-1"), r -> r.setTransfer(TransferOptions.newBuilder()
        .setLanesPerDisk(3))).getId();
    TransferSettings operator = settings(asked, "vm-1", SyncRole.SOURCE);
    assertEquals(3, operator.lanesPerDisk());
    assertFalse(operator.because().contains("lanes chosen"), operator.because());
    assertEquals(Map.of(), resume(jobId).getUploadLanesMap());
    assertEquals(Map.of(), resume(asked).getUploadLanesMap());
  }

  @Test
  void anUploadCompressesForTheUploadLinkItsHostsLastUploadMet() throws Exception {
    String jobId = job("vm-1");
    assertTrue(settings(jobId, "vm-1", SyncRole.SOURCE).because().startsWith(
        "chosen: nothing measured with host hv-01 yet"));
    // 10 MB/s, the lanes held back by the link: an 80 Mbit/s uplink, worth zstd's CPU.
    TransferMeasures.uploaded(timings, "hv-01", List.of(
        SyncReport.newBuilder().setSentBytes(6_000_000).setSendNanos(600_000_000L)
            .setLinkWaitNanos(400_000_000L).build(),
        SyncReport.newBuilder().setSentBytes(4_000_000).setSendNanos(1_000_000_000L)
            .setLinkWaitNanos(300_000_000L).build()), controllerWaiting(900, 1000), BusyCpus.UNKNOWN);
    TransferSettings upload = settings(jobId, "vm-1", SyncRole.SOURCE);
    assertEquals("zstd level 6", upload.codec().toString());
    assertTrue(upload.because().startsWith("chosen: host hv-01's upload link measured at"
        + " 80 Mbit/s; lanes chosen: "), upload.because());
    // The download link is another matter: nothing measured of it.
    assertTrue(settings(jobId, "vm-1", SyncRole.TARGET).because().startsWith(
        "chosen: nothing measured with host hv-01 yet"));
    // Too little sent says nothing of the link; lanes not held back say it is faster: LZ4.
    TransferMeasures.uploaded(timings, "hv-02", List.of(SyncReport.newBuilder()
        .setSentBytes(100_000).setSendNanos(1_000_000_000L).build()), controllerWaiting(0, 0), BusyCpus.UNKNOWN);
    assertEquals(Optional.empty(), timings.uploadLink("hv-02"));
    TransferMeasures.uploaded(timings, "hv-01", List.of(SyncReport.newBuilder()
        .setSentBytes(10_000_000).setSendNanos(1_000_000_000L).setLinkWaitNanos(1).build()),
        controllerWaiting(900, 1000), BusyCpus.UNKNOWN);
    assertEquals("lz4", settings(jobId, "vm-1", SyncRole.SOURCE).codec().toString());
  }

  /**
   * The agent's lanes waited on flow control, but the controller's own lanes (writing the
   * replica) were busy and seldom waited for a frame: the controller held the upload back, not
   * the link, which is then no reason for zstd's CPU on the host.
   */
  @Test
  void anUploadTheControllerHeldBackSaysNothingOfTheLink() throws Exception {
    String jobId = job("vm-1");
    List<SyncReport> heldBack = List.of(SyncReport.newBuilder().setSentBytes(16_000_000)
        .setSendNanos(650_000_000L).setLinkWaitNanos(1_000_000_000L).build());
    TransferMeasures.uploaded(timings, "hv-01", heldBack, controllerWaiting(200, 1300), BusyCpus.UNKNOWN);
    assertFalse(timings.uploadLink("hv-01").orElseThrow().linkBound());
    TransferSettings upload = settings(jobId, "vm-1", SyncRole.SOURCE);
    assertEquals("lz4", upload.codec().toString());
    assertTrue(upload.because().startsWith("chosen: host hv-01's upload link carried 197"
        + " Mbit/s without holding the lanes back"), upload.because());
    // The same waits with a controller that mostly waited for frames: the link held it back.
    TransferMeasures.uploaded(timings, "hv-01", heldBack, controllerWaiting(700, 1300), BusyCpus.UNKNOWN);
    assertTrue(timings.uploadLink("hv-01").orElseThrow().linkBound());
    assertEquals("zstd level 6", settings(jobId, "vm-1", SyncRole.SOURCE).codec().toString());
  }

  /**
   * Lanes that waited for the link while a machine's CPUs had nothing to spare measured the
   * CPUs: the first upload of a fresh pair of processes on a 2-core machine (96–100 % busy)
   * passed for a 1 Gbit/s link, and zstd would then have cost the CPU that was short.
   */
  @Test
  void anUploadWhileACpuWasSaturatedSaysNothingOfTheLink() throws Exception {
    String jobId = job("vm-1");
    SyncReport heldBack = SyncReport.newBuilder().setSentBytes(16_000_000)
        .setSendNanos(650_000_000L).setLinkWaitNanos(1_000_000_000L).build();
    // The agent's machine: the busiest of its sessions' reports.
    List<SyncReport> reports = List.of(heldBack.toBuilder().setCpuBusyPermille(970).build(),
        heldBack.toBuilder().setCpuBusyPermille(400).build(), heldBack);
    assertEquals(OptionalDouble.of(0.97), BusyCpus.of(
        io.failback.common.sync.MachineCpu.read(), reports).agent());
    TransferMeasures.uploaded(timings, "hv-01", reports, controllerWaiting(700, 1300),
        new BusyCpus(OptionalDouble.empty(), OptionalDouble.of(0.97)));
    assertFalse(timings.uploadLink("hv-01").orElseThrow().linkBound());
    TransferSettings upload = settings(jobId, "vm-1", SyncRole.SOURCE);
    assertEquals("lz4", upload.codec().toString());
    assertTrue(upload.because().contains("host hv-01's upload link carried 591 Mbit/s while"
        + " the CPUs were busy (") && upload.because().contains("the agent's 97 %)"),
        upload.because());
    // The controller's machine saturated: the same.
    TransferMeasures.uploaded(timings, "hv-01", List.of(heldBack), controllerWaiting(700, 1300),
        new BusyCpus(OptionalDouble.of(0.95), OptionalDouble.empty()));
    assertFalse(timings.uploadLink("hv-01").orElseThrow().linkBound());
    assertTrue(settings(jobId, "vm-1", SyncRole.SOURCE).because().contains("while the CPUs"
        + " were busy (the controller's machine 95 %)"));
    // Both with CPU to spare: the link held the lanes back, and a slow one is worth zstd.
    TransferMeasures.uploaded(timings, "hv-01", List.of(heldBack), controllerWaiting(700, 1300),
        new BusyCpus(OptionalDouble.of(0.6), OptionalDouble.of(0.89)));
    assertTrue(timings.uploadLink("hv-01").orElseThrow().linkBound());
    assertEquals("zstd level 6", settings(jobId, "vm-1", SyncRole.SOURCE).codec().toString());
  }

  /** The controller's lanes, as a target: waited for frames {@code waited} ms of {@code ran}. */
  private static SyncActivity.Snapshot controllerWaiting(long waited, long ran) {
    return new SyncActivity.Snapshot(0, 0, -1, -1, 0, 0, waited * 1_000_000L,
        ran * 1_000_000L);
  }
}
