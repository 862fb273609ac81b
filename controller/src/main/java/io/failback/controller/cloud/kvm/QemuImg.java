package io.failback.controller.cloud.kvm;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** qemu-img, which makes the KVM cloud's qcow2 disks: they are never written by hand. */
final class QemuImg {
  private QemuImg() {}

  /** A new empty qcow2 of {@code size} bytes with 64 KiB clusters, the dirty-bitmap granule. */
  static void createQcow2(Path file, long size) throws IOException {
    run(List.of("qemu-img", "create", "-q", "-f", "qcow2", "-o", "cluster_size=65536",
        file.toString(), Long.toString(size)));
  }

  /** Adds an enabled persistent dirty bitmap: every later write to the image is recorded. */
  static void addBitmap(Path file, String name) throws IOException {
    run(List.of("qemu-img", "bitmap", "--add", "--granularity", "65536", file.toString(), name));
  }

  /** Removes a persistent dirty bitmap; false when the image has none of that name. */
  static boolean removeBitmap(Path file, String name) throws IOException {
    if (!bitmaps(file).contains(name)) {
      return false;
    }
    run(List.of("qemu-img", "bitmap", "--remove", file.toString(), name));
    return true;
  }

  /** The names of the image's persistent bitmaps (read without its lock: QEMU may hold it). */
  static List<String> bitmaps(Path file) throws IOException {
    String json = run(List.of("qemu-img", "info", "-U", "--output=json", file.toString()));
    JsonObject data = JsonParser.parseString(json).getAsJsonObject()
        .getAsJsonObject("format-specific");
    JsonArray bitmaps = data == null || !data.has("data") ? null
        : data.getAsJsonObject("data").getAsJsonArray("bitmaps");
    List<String> names = new ArrayList<>();
    if (bitmaps != null) {
      bitmaps.forEach(b -> names.add(b.getAsJsonObject().get("name").getAsString()));
    }
    return names;
  }

  static String run(List<String> command) throws IOException {
    Process process;
    try {
      process = new ProcessBuilder(command).redirectErrorStream(true).start();
    } catch (IOException e) {
      throw new IOException("cannot run " + command.get(0) + " (Debian package qemu-utils): "
          + e.getMessage(), e);
    }
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    try {
      if (!process.waitFor(120, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new IOException(String.join(" ", command) + " did not finish within 120 s");
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted: " + String.join(" ", command), e);
    }
    if (process.exitValue() != 0) {
      throw new IOException(String.join(" ", command) + " failed: " + output.strip());
    }
    return output;
  }
}
