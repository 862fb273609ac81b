package io.failback.agent.hyperv.simulated;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonParseException;
import com.google.gson.Strictness;
import io.failback.agent.hyperv.state.DurableFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The JSON files of a simulated Hyper-V host (see {@code agent/SIMULATED-HOST.md}) as records, with
 * reading, writing and the checks shared by reader and seeder.
 */
final class SimulatedHostJson {
  static final String HOST_FILE = "host.json";
  static final String VMS_DIR = "vms";
  static final String VM_FILE = "vm.json";

  /** {@code host.json}. */
  record HostFile(
      String hostName,
      String hypervisorVersion,
      List<SwitchEntry> virtualSwitches,
      List<String> storagePaths) {}

  /** One virtual switch; {@code type} is External, Internal or Private. */
  record SwitchEntry(String name, String id, String type) {}

  /**
   * {@code vms/<folder>/vm.json}; disk paths are relative to the VM folder. Memory and processor
   * count are optional (only VMs made by {@code createVm} have them) and not in the inventory;
   * so is the guest's OS, as a Hyper-V guest's integration services would report it, and a
   * generation 2 VM's Secure Boot setting (absent: the host does not say).
   */
  record VmFile(
      String id,
      String name,
      int generation,
      String state,
      List<String> disks,
      List<AdapterEntry> networkAdapters,
      Long memoryBytes,
      Integer processorCount,
      String guestOs,
      SecureBootEntry secureBoot) {
    VmFile withShape(long newMemoryBytes, int newProcessorCount) {
      return new VmFile(id, name, generation, state, disks, networkAdapters, newMemoryBytes,
          newProcessorCount, guestOs, secureBoot);
    }

    VmFile withState(String newState) {
      return new VmFile(id, name, generation, newState, disks, networkAdapters, memoryBytes,
          processorCount, guestOs, secureBoot);
    }

    VmFile withGuestOs(String newGuestOs) {
      return new VmFile(id, name, generation, state, disks, networkAdapters, memoryBytes,
          processorCount, newGuestOs, secureBoot);
    }

    VmFile withSecureBoot(SecureBootEntry newSecureBoot) {
      return new VmFile(id, name, generation, state, disks, networkAdapters, memoryBytes,
          processorCount, guestOs, newSecureBoot);
    }
  }

  /** Secure Boot On ({@code enabled}) or Off, with Hyper-V's template name (may be empty). */
  record SecureBootEntry(boolean enabled, String templateName) {}

  /** One network adapter; an empty {@code switchName} means not connected. */
  record AdapterEntry(String name, String switchName, String macAddress) {}

  static final List<String> SWITCH_TYPES = List.of("External", "Internal", "Private");
  private static final Pattern GUID =
      Pattern.compile(
          "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
  private static final Pattern MAC = Pattern.compile("[0-9a-fA-F]{12}");

  private static final Gson GSON =
      new GsonBuilder()
          .setStrictness(Strictness.STRICT)
          .setPrettyPrinting()
          .disableHtmlEscaping()
          .create();

  private SimulatedHostJson() {}

  /** Parses a definition file; a missing, empty or malformed file is an error naming it. */
  static <T> T read(Path file, Class<T> type) throws IOException {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new NoSuchFileException(file.toString(), null, "not found");
    }
    T value;
    try {
      value = GSON.fromJson(text, type);
    } catch (JsonParseException e) {
      String detail = describe(e);
      throw invalid(file, "malformed JSON%s%s", detail.startsWith("at ") ? " " : ": ", detail);
    }
    check(value != null, file, "empty file, expected a JSON object");
    return value;
  }

  /** Gson's message without the exception class, the leniency hint and the help link. */
  private static String describe(JsonParseException e) {
    Throwable cause = e.getCause() != null ? e.getCause() : e;
    String message = cause.getMessage() == null ? cause.toString() : cause.getMessage();
    return message
        .lines()
        .findFirst()
        .orElse("")
        .replace("Use JsonReader.setStrictness(Strictness.LENIENT) to accept malformed JSON", "")
        .strip();
  }

  /** Writes a new definition file; never replaces an existing one. */
  static void write(Path file, Object value) throws IOException {
    Files.writeString(
        file,
        GSON.toJson(value) + "\n",
        StandardCharsets.UTF_8,
        StandardOpenOption.CREATE_NEW,
        StandardOpenOption.WRITE);
  }

  /** Replaces a definition file atomically: readers see the old or the new one, never half. */
  static void replace(Path file, Object value) throws IOException {
    DurableFiles.replace(file, GSON.toJson(value) + "\n");
  }

  /** Replaces the state word of the VM defined by {@code vmFile}, as Hyper-V would show it. */
  static void replaceState(Path vmFile, String state) throws IOException {
    replace(vmFile, read(vmFile, VmFile.class).withState(state));
  }

  static IOException invalid(Path file, String format, Object... args) {
    return new IOException(file + ": " + String.format(format, args));
  }

  static void check(boolean condition, Path file, String format, Object... args)
      throws IOException {
    if (!condition) {
      throw invalid(file, format, args);
    }
  }

  static boolean isBlank(String value) {
    return value == null || value.isBlank();
  }

  static boolean isGuid(String value) {
    return value != null && GUID.matcher(value).matches();
  }

  static boolean isMacAddress(String value) {
    return value != null && MAC.matcher(value).matches();
  }

  static <T> List<T> orEmpty(List<T> list) {
    return list == null ? List.of() : list;
  }
}
