package io.failback.controller.cloud;

import io.failback.controller.cloud.CloudJson.SnapshotFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A snapshot's state in a {@link LocalDirectoryCloud}: one {@link ChunkStore} per disk while its
 * tracking is intact, none after an unclean shutdown lost it.
 *
 * <p>Files in {@code snapshots/<id>/}: {@code snapshot.json}, {@code disk-<i>.store} (preserved
 * chunks), {@code disk-<i>.map} (chunk index, written when persisted) and {@code clean} (present
 * while the maps on disk are complete, see {@link CleanMarker}).
 */
final class LocalSnapshot {
  private static final Logger log = LoggerFactory.getLogger(LocalSnapshot.class);

  private final String id;
  private final String vmId;
  private final Instant takenAt;
  private final Path dir;
  private final List<Long> diskSizes;
  private final List<ChunkStore> stores;
  private final CleanMarker marker;
  private final boolean trackingOnly;
  private volatile boolean released;

  private LocalSnapshot(SnapshotFile file, Path dir, List<ChunkStore> stores, CleanMarker marker) {
    this.id = file.id();
    this.vmId = file.vmId();
    this.takenAt = Instant.parse(file.takenAt());
    this.dir = dir;
    this.diskSizes = List.copyOf(file.diskSizes());
    this.stores = stores;
    this.marker = marker;
    this.trackingOnly = file.tracksOnly();
  }

  /**
   * Creates the snapshot's files with empty maps; it tracks nothing until its stores are attached
   * and {@link #vouch()} is called.
   *
   * @param trackingOnly a tracking point: which chunks are written is kept, not their bytes
   */
  static LocalSnapshot create(Path dir, String id, String vmId, Instant takenAt,
      List<Long> diskSizes, boolean trackingOnly) throws IOException {
    Files.createDirectories(dir);
    CleanMarker marker = new CleanMarker(dir.resolve("clean"));
    SnapshotFile file = new SnapshotFile(id, vmId, takenAt.toString(), diskSizes,
        trackingOnly ? Boolean.TRUE : null);
    List<ChunkStore> stores = new ArrayList<>();
    try {
      for (int i = 0; i < diskSizes.size(); i++) {
        Path store = storeFile(dir, i);
        stores.add(ChunkStore.create(store, mapFile(dir, i), diskSizes.get(i), marker,
            !trackingOnly));
        stores.get(i).persist();
      }
      // Written last: a directory without snapshot.json is an interrupted create.
      CloudJson.write(dir.resolve(CloudJson.SNAPSHOT_FILE), file);
    } catch (IOException | RuntimeException e) {
      for (ChunkStore store : stores) {
        store.close();
      }
      throw e;
    }
    return new LocalSnapshot(file, dir, stores, marker);
  }

  /** Reads a snapshot back; its tracking survives only if the clean marker vouches for it. */
  static LocalSnapshot load(Path dir) throws IOException {
    SnapshotFile file = CloudJson.readSnapshot(dir.resolve(CloudJson.SNAPSHOT_FILE));
    CleanMarker marker = new CleanMarker(dir.resolve("clean"));
    if (!marker.isClean()) {
      return new LocalSnapshot(file, dir, List.of(), marker);
    }
    List<ChunkStore> stores = new ArrayList<>();
    try {
      for (int i = 0; i < file.diskSizes().size(); i++) {
        long size = file.diskSizes().get(i);
        stores.add(ChunkStore.load(storeFile(dir, i), mapFile(dir, i), size, marker,
            !file.tracksOnly()));
      }
    } catch (IOException e) {
      // Damaged despite the marker: report tracking as lost, so callers compare checksums.
      log.warn("snapshot " + file.id() + " lost its tracking: " + e.getMessage());
      for (ChunkStore store : stores) {
        store.close();
      }
      return new LocalSnapshot(file, dir, List.of(), marker);
    }
    return new LocalSnapshot(file, dir, stores, marker);
  }

  private static Path storeFile(Path dir, int disk) {
    return dir.resolve("disk-" + disk + ".store");
  }

  private static Path mapFile(Path dir, int disk) {
    return dir.resolve("disk-" + disk + ".map");
  }

  String id() {
    return id;
  }

  String vmId() {
    return vmId;
  }

  Instant takenAt() {
    return takenAt;
  }

  int diskCount() {
    return diskSizes.size();
  }

  /** A tracking point: it knows what was written since, but shows no instant. */
  boolean trackingOnly() {
    return trackingOnly;
  }

  /** Whether it still knows what changed (and so still shows its instant). */
  boolean tracking() {
    return !stores.isEmpty() || diskSizes.isEmpty();
  }

  /** The store of disk {@code index}; only while {@link #tracking()}. */
  ChunkStore store(int index) {
    return stores.get(index);
  }

  List<ChunkStore> stores() {
    return stores;
  }

  boolean released() {
    return released;
  }

  /** Makes the tracking state durable and vouches for it; no writer may be active. */
  void persist() throws IOException {
    if (released || !tracking()) {
      return;
    }
    for (ChunkStore store : stores) {
      store.persist();
    }
    marker.markClean();
  }

  /** Vouches for the empty maps written at creation; called as the snapshot is attached. */
  void vouch() throws IOException {
    marker.markClean();
  }

  /** Closes the stores, keeping the files. */
  void close() throws IOException {
    for (ChunkStore store : stores) {
      store.close();
    }
  }

  /** Closes the stores and deletes every file of the snapshot. */
  void delete() throws IOException {
    released = true;
    close();
    AtomicFiles.deleteTree(dir);
  }
}
