package io.failback.agent.hyperv.simulated;

import io.failback.agent.hyperv.ChangeTracking;
import io.failback.agent.hyperv.state.DurableFiles;
import io.failback.common.disk.BlockDevice;
import io.failback.common.disk.BlockDevices;
import io.failback.common.hash.BlockDigester;
import io.failback.common.hash.DigestAlgorithm;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * A simulation of Hyper-V's resilient change tracking for the simulated host, so that the
 * tracked reverse-replication path runs end to end without Hyper-V.
 *
 * <p>A reference point is a file of per-block digests of each disk, kept in the host directory
 * (a real host keeps its reference points too); {@link #changedSince} digests the disk again and
 * reports the blocks that differ. That reads the whole disk, so unlike RCT it saves no reads: it
 * saves only the digests and blocks on the wire, and shows which blocks a real host would
 * report. Deleting a reference file ({@code *.<id>.ref}) is how tests make a reference point
 * "lost".
 */
final class SimulatedChangeTracking implements ChangeTracking {
  /** Tracking granularity; RCT's is a host detail too, and callers map ranges to blocks. */
  static final int BLOCK = 64 * 1024;
  private static final Pattern ID = Pattern.compile("sim-rct-[0-9a-f]{14}-[0-9a-f-]{36}");
  private static final int FORMAT = 1;
  static final int KEPT = 4;
  private static final java.util.concurrent.atomic.AtomicLong LAST_MICROS =
      new java.util.concurrent.atomic.AtomicLong();
  private final Path dir;
  private final BlockDigester digester = new BlockDigester(DigestAlgorithm.XXH3_128, 0);

  SimulatedChangeTracking(Path dir) {
    this.dir = dir;
  }

  /**
   * A reference point of disk {@code diskPath} as {@code content} holds it (the disk itself, or
   * a read point's frozen copy of it).
   */
  String createReferencePoint(String diskPath, Path content) throws IOException {
    Files.createDirectories(dir);
    // A strictly growing time first, so that names sort by age for pruning.
    long micros = LAST_MICROS.updateAndGet(
        last -> Math.max(last + 1, System.currentTimeMillis() * 1000));
    String id = String.format("sim-rct-%014x-%s", micros, UUID.randomUUID());
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeInt(FORMAT);
      out.writeUTF(diskPath);
      List<byte[]> digests = digests(content);
      out.writeInt(digests.size());
      for (byte[] digest : digests) {
        out.write(digest);
      }
    }
    DurableFiles.replace(file(diskPath, id), bytes.toByteArray());
    prune(diskPath);
    return id;
  }

  @Override
  public Optional<List<ByteRange>> changedSince(String diskPath, String referencePoint,
      long diskSize) throws IOException {
    return changedSince(diskPath, referencePoint, diskSize, Path.of(diskPath));
  }

  /** Like {@link #changedSince(String, String, long)}, up to the state {@code content} holds. */
  Optional<List<ByteRange>> changedSince(String diskPath, String referencePoint, long diskSize,
      Path content) throws IOException {
    if (referencePoint == null || !ID.matcher(referencePoint).matches()) {
      return Optional.empty();
    }
    byte[] stored;
    try {
      stored = Files.readAllBytes(file(diskPath, referencePoint));
    } catch (NoSuchFileException gone) {
      return Optional.empty();
    }
    List<byte[]> then = new ArrayList<>();
    try (DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(stored))) {
      if (in.readInt() != FORMAT || !in.readUTF().equals(diskPath)) {
        return Optional.empty(); // another disk's reference: not an answer for this one
      }
      int count = in.readInt();
      for (int i = 0; i < count; i++) {
        then.add(in.readNBytes(digester.digestLength()));
      }
    }
    List<byte[]> now = digests(content);
    if (now.size() != then.size() || (long) now.size() * BLOCK < diskSize) {
      return Optional.empty(); // resized since: RCT resets too
    }
    List<ByteRange> ranges = new ArrayList<>();
    for (int i = 0; i < now.size(); i++) {
      if (!Arrays.equals(now.get(i), then.get(i))) {
        long offset = (long) i * BLOCK;
        ranges.add(new ByteRange(offset, Math.min(BLOCK, diskSize - offset)));
      }
    }
    return Optional.of(ranges);
  }

  private List<byte[]> digests(Path content) throws IOException {
    List<byte[]> digests = new ArrayList<>();
    try (BlockDevice device = BlockDevices.open(content, false)) {
      ByteBuffer buffer = ByteBuffer.allocate(BLOCK);
      for (long offset = 0; offset < device.size(); offset += BLOCK) {
        buffer.clear().limit((int) Math.min(BLOCK, device.size() - offset));
        device.read(offset, buffer);
        buffer.flip();
        digests.add(digester.digest(buffer));
      }
    }
    return digests;
  }

  /**
   * Keeps the newest {@link #KEPT} reference points of the disk: the controller diffs from the
   * last one a successful sync reported, and a few failed attempts in between (whose references
   * nobody recorded) must not push it out. An older one asked for is unknown: checksums then.
   */
  private void prune(String diskPath) throws IOException {
    List<Path> references = new ArrayList<>(references(diskPath));
    references.sort(Comparator.comparing(Path::toString).reversed());
    for (Path old : references.subList(Math.min(KEPT, references.size()), references.size())) {
      Files.deleteIfExists(old);
    }
  }

  /** Deletes every reference point of disk {@code diskPath}; returns how many there were. */
  int destroyAll(String diskPath) throws IOException {
    int destroyed = 0;
    for (Path reference : references(diskPath)) {
      destroyed += Files.deleteIfExists(reference) ? 1 : 0;
    }
    return destroyed;
  }

  /** The files of the disk's reference points, in no order. */
  private List<Path> references(String diskPath) throws IOException {
    String prefix = diskKey(diskPath) + ".";
    try (var files = Files.list(dir)) {
      return files.filter(f -> f.getFileName().toString().startsWith(prefix)
          && f.getFileName().toString().endsWith(".ref")).toList();
    } catch (NoSuchFileException none) {
      return List.of();
    }
  }

  /** The reference's file; named after its disk too, so that pruning needs no reads. */
  private Path file(String diskPath, String id) {
    return dir.resolve(diskKey(diskPath) + "." + id + ".ref");
  }

  private static String diskKey(String diskPath) {
    return UUID.nameUUIDFromBytes(diskPath.getBytes(StandardCharsets.UTF_8)).toString();
  }
}
