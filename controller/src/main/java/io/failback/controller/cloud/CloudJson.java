package io.failback.controller.cloud;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonParseException;
import com.google.gson.Strictness;
import io.failback.controller.cloud.CloudVmSpec.NicSpec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;

/** The JSON files of a {@link LocalDirectoryCloud} (see {@code controller/CLOUD.md}). */
final class CloudJson {
  static final String VM_FILE = "vm.json";
  static final String SNAPSHOT_FILE = "snapshot.json";

  /** {@code vms/<id>/vm.json}; disk files are named relative to the VM's directory. */
  record VmFile(
      String id,
      String name,
      String sourceVmId,
      PowerState state,
      List<DiskEntry> disks,
      List<NicSpec> nics,
      String createdAt,
      CloudDevices devices,
      GuestFamily guestFamily) {}

  record DiskEntry(String name, String file, DiskFormat format, long virtualSize) {}

  /**
   * {@code snapshots/<id>/snapshot.json}: what it is of, and the disk sizes its maps cover;
   * {@code trackingOnly} for a tracking point (no bytes kept; absent in older files: false).
   */
  record SnapshotFile(String id, String vmId, String takenAt, List<Long> diskSizes,
      Boolean trackingOnly) {
    boolean tracksOnly() {
      return Boolean.TRUE.equals(trackingOnly);
    }
  }

  private static final Gson GSON =
      new GsonBuilder()
          .setStrictness(Strictness.STRICT)
          .setPrettyPrinting()
          .disableHtmlEscaping()
          .create();

  private CloudJson() {}

  static VmFile toFile(CloudVm vm) {
    List<DiskEntry> disks = new ArrayList<>();
    for (CloudDisk disk : vm.disks()) {
      String file = disk.path().getFileName().toString();
      disks.add(new DiskEntry(disk.name(), file, disk.format(), disk.virtualSize()));
    }
    return new VmFile(
        vm.id(),
        vm.name(),
        vm.sourceVmId(),
        vm.state(),
        disks,
        vm.nics(),
        vm.createdAt().toString(),
        vm.devices(),
        vm.guestFamily());
  }

  /** Reads and checks {@code vm.json}; its disk paths resolve against its directory. */
  static CloudVm readVm(Path file) throws IOException {
    VmFile vm = read(file, VmFile.class);
    check(vm.id() != null && vm.name() != null && vm.sourceVmId() != null, file, "id or name");
    check(vm.state() != null && vm.disks() != null && vm.nics() != null, file, "state or lists");
    check(file.getParent().getFileName().toString().equals(vm.id()), file, "id vs directory");
    List<CloudDisk> disks = new ArrayList<>();
    for (DiskEntry disk : vm.disks()) {
      check(disk.file() != null && !disk.file().contains("/") && disk.format() != null, file,
          "disk entry");
      Path path = file.resolveSibling(disk.file());
      disks.add(new CloudDisk(disk.name(), path, disk.format(), disk.virtualSize()));
    }
    // A file from before devices (or the family) were kept: its VM was made with virtio ones
    // (and taken as not Windows).
    return new CloudVm(vm.id(), vm.name(), vm.sourceVmId(), vm.state(), disks, vm.nics(),
        instant(file, vm.createdAt()), List.of(),
        vm.devices() == null ? CloudDevices.VIRTIO : vm.devices(),
        vm.guestFamily() == null ? GuestFamily.OTHER : vm.guestFamily());
  }

  static SnapshotFile readSnapshot(Path file) throws IOException {
    SnapshotFile snapshot = read(file, SnapshotFile.class);
    check(snapshot.id() != null && snapshot.vmId() != null, file, "id or vmId");
    check(snapshot.diskSizes() != null, file, "diskSizes");
    instant(file, snapshot.takenAt());
    return snapshot;
  }

  static Instant instant(Path file, String text) throws IOException {
    try {
      return Instant.parse(text);
    } catch (DateTimeParseException | NullPointerException e) {
      throw new IOException(file + ": bad timestamp '" + text + "'");
    }
  }

  /** Replaces {@code file} atomically and durably with {@code value} as JSON. */
  static void write(Path file, Object value) throws IOException {
    byte[] bytes = (GSON.toJson(value) + "\n").getBytes(StandardCharsets.UTF_8);
    AtomicFiles.write(file, ByteBuffer.wrap(bytes));
  }

  private static <T> T read(Path file, Class<T> type) throws IOException {
    String text = Files.readString(file, StandardCharsets.UTF_8);
    try {
      T value = GSON.fromJson(text, type);
      check(value != null, file, "content (the file is empty)");
      return value;
    } catch (JsonParseException e) {
      throw new IOException(file + ": malformed JSON: " + e.getMessage(), e);
    }
  }

  private static void check(boolean ok, Path file, String what) throws IOException {
    if (!ok) {
      throw new IOException(file + ": missing or invalid " + what);
    }
  }
}
