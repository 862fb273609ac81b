package io.failback.controller;

import io.failback.proto.v1.Job;
import io.failback.proto.v1.JobState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Takeover time over several trials (docs/BENCHMARKS.md): two controller processes on one
 * PostgreSQL database with a 3 s lease, kill -9 of the active one while a failback waits for
 * CompleteFailover; how long until the standby serves as the active one, and until the job waits again.
 *
 * <pre>bench/controller-takeover [TRIALS] [WORK_DIR]</pre>
 */
public final class TakeoverBenchmark {
  private TakeoverBenchmark() {}

  public static void main(String[] args) throws Exception {
    int trials = args.length > 0 ? Integer.parseInt(args[0]) : 10;
    Path work = Files.createDirectories(Path.of(args.length > 1 ? args[1] : "bench/data/ha"));
    List<Long> listening = new ArrayList<>();
    List<Long> moving = new ArrayList<>();
    System.out.println("| trial | kill -9 → standby active (ms) | kill -9 → job waiting again"
        + " (ms) | blocks resent by phase 1 again | disks equal (qemu-img compare) |");
    System.out.println("|---|---|---|---|---|");
    for (int trial = 1; trial <= trials; trial++) {
      Path dir = Files.createTempDirectory(work, "trial-" + trial + "-");
      try (TakeoverRig rig = new TakeoverRig(dir, 16)) {
        rig.failedOver(false); // phase 1 a checksum pass, as measured before
        rig.cloudWrites(0, 30, 61 + trial);
        Job failback = rig.failbackWaiting();
        long sentBefore = TakeoverRig.count(failback, "p1 (DELTA) verified", "sent");
        rig.a.kill();
        long killed = System.nanoTime();
        rig.awaitActive(rig.portB, rig.b);
        long listen = (System.nanoTime() - killed) / 1_000_000;
        Job waiting = rig.awaitJob(failback, job -> job.getState() == JobState.JOB_WAITING
            && job.getResume().getResumed() == 1);
        long move = (System.nanoTime() - killed) / 1_000_000;
        long resent = TakeoverRig.count(waiting, "p1 (DELTA) verified", "sent") - sentBefore;
        rig.completeFailover(failback);
        rig.awaitJob(failback, JobState.JOB_SUCCEEDED);
        boolean equal = rig.compareWithCloud(0).isEmpty() && rig.compareWithCloud(1).isEmpty();
        listening.add(listen);
        moving.add(move);
        System.out.printf("| %d | %d | %d | %d | %s |%n", trial, listen, move, resent,
            equal ? "yes" : "NO");
      }
    }
    System.out.printf("%nstandby active: median %d ms, max %d ms; job waiting again:"
        + " median %d ms, max %d ms (lease time to live 3 s)%n", median(listening),
        Collections.max(listening), median(moving), Collections.max(moving));
    System.exit(0);
  }

  private static long median(List<Long> values) {
    List<Long> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    return sorted.get(sorted.size() / 2);
  }
}
