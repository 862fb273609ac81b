package io.failback.controller.cloud.kvm;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonParseException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The UEFI firmware a cloud VM of ours boots with when it keeps a variable store of its own
 * (boot entries Failback wrote): its code and the empty store to start from. Chosen as libvirt
 * chooses for {@code <os firmware='efi'>}, from the descriptors QEMU's packages install (QEMU's
 * docs/interop/firmware.json): by file name, a name in /etc/qemu/firmware hiding the same one in
 * /usr/share/qemu/firmware; the first for x86_64 UEFI on an i440fx machine (ours: {@code
 * machine='pc'}) from flash, without SMM (i440fx has none, so no Secure Boot build). Debian's
 * is 60-edk2-x86_64.json: OVMF_CODE_4M.fd with OVMF_VARS_4M.fd.
 */
record UefiFirmware(Path code, Path varsTemplate) {
  static final List<Path> DESCRIPTOR_DIRS = List.of(Path.of("/usr/share/qemu/firmware"),
      Path.of("/etc/qemu/firmware"));

  /** The firmware from the descriptors in {@code dirs} (later folders hide earlier ones). */
  static Optional<UefiFirmware> find(List<Path> dirs) throws IOException {
    TreeMap<String, Path> byName = new TreeMap<>();
    for (Path dir : dirs) {
      if (!Files.isDirectory(dir)) {
        continue;
      }
      try (Stream<Path> files = Files.list(dir)) {
        files.filter(f -> f.getFileName().toString().endsWith(".json"))
            .forEach(f -> byName.put(f.getFileName().toString(), f));
      }
    }
    for (Path descriptor : byName.values()) {
      Optional<UefiFirmware> firmware = fits(descriptor);
      if (firmware.isPresent()) {
        return firmware;
      }
    }
    return Optional.empty();
  }

  private static Optional<UefiFirmware> fits(Path descriptor) throws IOException {
    String text = Files.readString(descriptor);
    try {
      return fits(JsonParser.parseString(text).getAsJsonObject());
    } catch (JsonParseException | IllegalStateException | ClassCastException
        | NullPointerException e) {
      return Optional.empty(); // not a descriptor we can read: libvirt skips it as well
    }
  }

  private static Optional<UefiFirmware> fits(JsonObject json) {
    if (!has(json.getAsJsonArray("interface-types"), "uefi")
        || has(json.getAsJsonArray("features"), "requires-smm")) {
      return Optional.empty();
    }
    JsonObject mapping = json.getAsJsonObject("mapping");
    if (mapping == null || !"flash".equals(text(mapping, "device"))
        || !mapping.has("executable") || !mapping.has("nvram-template")) {
      return Optional.empty();
    }
    boolean i440fx = false;
    for (JsonElement target : json.getAsJsonArray("targets")) {
      JsonObject t = target.getAsJsonObject();
      i440fx |= "x86_64".equals(text(t, "architecture")) && t.getAsJsonArray("machines")
          .asList().stream().map(JsonElement::getAsString)
          .anyMatch(m -> m.equals("pc-i440fx-*") || m.equals("pc"));
    }
    return i440fx ? Optional.of(new UefiFirmware(
        Path.of(text(mapping.getAsJsonObject("executable"), "filename")),
        Path.of(text(mapping.getAsJsonObject("nvram-template"), "filename"))))
        : Optional.empty();
  }

  private static boolean has(JsonArray array, String value) {
    return array != null && array.asList().stream()
        .anyMatch(e -> e.isJsonPrimitive() && e.getAsString().equals(value));
  }

  private static String text(JsonObject object, String key) {
    JsonElement value = object.get(key);
    return value != null && value.isJsonPrimitive() ? value.getAsString() : "";
  }
}
