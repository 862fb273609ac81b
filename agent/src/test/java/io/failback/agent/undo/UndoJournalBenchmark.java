package io.failback.agent.undo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import io.failback.common.disk.BlockDevice;
import io.failback.common.disk.BlockDevices;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * What the undo journal costs a failback's on-prem writes, and how long a rollback takes
 * (docs/BENCHMARKS.md). Runs only when asked:
 *
 * <pre>
 * ./mvnw -B -q -pl agent -am -Dtest=UndoJournalBenchmark -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Dbench.undo=/var/tmp/undo-bench [-Dbench.gib=4] test
 * </pre>
 *
 * <p>The write path is the target's during a sync: per batch of 256 blocks of 64 KiB, the
 * changed blocks are announced (the journal preserves them in one forced append), written, and
 * the disk flushed before the batch is acknowledged. Same disk, same blocks, with and without
 * the journal; {@code cp} of the same number of bytes plus {@code sync} as the peer.
 */
@EnabledIfSystemProperty(named = "bench.undo", matches = ".+")
class UndoJournalBenchmark {
  private static final int BLOCK = 64 * 1024;
  private static final int BATCH = 256;
  private static final String VM = "5d3a0f6e-1c2b-4e8f-9a7d-0b1c2d3e4f50";

  @Test
  void journalCostAndRollbackTime() throws Exception {
    Path dir = Path.of(System.getProperty("bench.undo"));
    long size = Long.parseLong(System.getProperty("bench.gib", "4")) << 30;
    Files.createDirectories(dir);
    Path disk = dir.resolve("disk.raw");
    Files.deleteIfExists(disk);
    fill(disk, size);
    List<String> rows = new ArrayList<>();
    for (double share : new double[] {0.01, 0.10}) {
      long[] blocks = choose(size / BLOCK, share, new Random(7));
      double plain = write(disk, blocks, null, 1);
      String before = digest(disk);
      UndoJournals journals = new UndoJournals(dir.resolve("state"), Clock.systemUTC());
      double journaled = write(disk, blocks, journals, 2);
      long journalBytes = Files.size(UndoJournals.journalOf(disk.toString()));
      long start = System.nanoTime();
      journals.rollback(VM, "bench", p -> BlockDevices.open(Path.of(p), true));
      double rollback = (System.nanoTime() - start) / 1e9;
      String after = digest(disk);
      double cp = copyPeer(dir, (long) blocks.length * BLOCK);
      rows.add(String.format(Locale.ROOT, "| %.0f %% (%d blocks, %.0f MiB) | %.2f s | %.2f s"
              + " (%.2f×) | %d | %.2f s | %.2f s | %s |", share * 100, blocks.length,
          blocks.length * (double) BLOCK / (1 << 20), plain, journaled, journaled / plain,
          journalBytes, rollback, cp, before.equals(after) ? "equal" : "DIFFERENT"));
      assertArrayEquals(before.getBytes(), after.getBytes(), "the rollback is not exact");
      // The disk holds the first (unjournaled) run's writes under the rollback: put the
      // original back for the next share.
      fill(disk, size);
    }
    System.out.println("| changed | writes, no journal | writes, journaled | journal bytes"
        + " | rollback | cp + sync of as many bytes | disk after rollback |");
    System.out.println("|---|---|---|---|---|---|---|");
    rows.forEach(System.out::println);
  }

  /** Writes {@code blocks} in batches as a sync target does; returns the seconds taken. */
  private static double write(Path disk, long[] blocks, UndoJournals journals, int seed)
      throws IOException {
    Random random = new Random(seed);
    byte[] data = new byte[BLOCK];
    long start = System.nanoTime();
    BlockDevice opened = BlockDevices.open(disk, true);
    try (BlockDevice device = journals == null ? opened
        : journals.journaled(VM, "bench", disk.toString(), opened)) {
      for (int from = 0; from < blocks.length; from += BATCH) {
        int n = Math.min(BATCH, blocks.length - from);
        long[] offsets = new long[n];
        long[] lengths = new long[n];
        for (int i = 0; i < n; i++) {
          offsets[i] = blocks[from + i] * BLOCK;
          lengths[i] = BLOCK;
        }
        device.aboutToOverwrite(offsets, lengths);
        for (int i = 0; i < n; i++) {
          random.nextBytes(data);
          device.write(offsets[i], ByteBuffer.wrap(data));
        }
        device.flush();
      }
    }
    return (System.nanoTime() - start) / 1e9;
  }

  private static double copyPeer(Path dir, long bytes) throws Exception {
    Path from = dir.resolve("peer-src");
    Path to = dir.resolve("peer-dst");
    Files.deleteIfExists(to);
    fill(from, bytes);
    long start = System.nanoTime();
    run("cp", from.toString(), to.toString());
    run("sync");
    double seconds = (System.nanoTime() - start) / 1e9;
    Files.delete(from);
    Files.delete(to);
    return seconds;
  }

  private static void run(String... command) throws Exception {
    if (new ProcessBuilder(command).inheritIO().start().waitFor() != 0) {
      throw new IOException(String.join(" ", command) + " failed");
    }
  }

  private static long[] choose(long count, double share, Random random) {
    TreeSet<Long> chosen = new TreeSet<>();
    while (chosen.size() < (long) (count * share)) {
      chosen.add(Math.floorMod(random.nextLong(), count));
    }
    return chosen.stream().mapToLong(Long::longValue).toArray();
  }

  private static void fill(Path file, long size) throws IOException {
    Random random = new Random(1);
    byte[] chunk = new byte[1 << 20];
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE,
        StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
      for (long at = 0; at < size; at += chunk.length) {
        random.nextBytes(chunk);
        channel.write(ByteBuffer.wrap(chunk), at);
      }
      channel.force(true);
    }
  }

  private static String digest(Path file) throws Exception {
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    ByteBuffer buffer = ByteBuffer.allocate(1 << 20);
    try (FileChannel channel = FileChannel.open(file)) {
      while (channel.read(buffer.clear()) > 0) {
        sha.update(buffer.flip());
      }
    }
    return HexFormat.of().formatHex(sha.digest());
  }
}
