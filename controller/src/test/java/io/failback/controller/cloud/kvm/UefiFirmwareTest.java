package io.failback.controller.cloud.kvm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The firmware a VM with a variable store of its own boots with, as libvirt would choose it. */
class UefiFirmwareTest {
  @TempDir Path dir;

  @Test
  void theFirstPlainUefiFlashForI440fxByNameAnEtcFileHidingItsNamesake() throws Exception {
    Path share = Files.createDirectories(dir.resolve("share"));
    Path etc = Files.createDirectories(dir.resolve("etc"));
    Files.writeString(share.resolve("10-broken.json"), "{not json");
    Files.writeString(share.resolve("20-secure.json"), descriptor("SECURE", "\"requires-smm\"",
        "\"pc-i440fx-*\", \"pc-q35-*\""));
    Files.writeString(share.resolve("30-q35.json"), descriptor("Q35", "", "\"pc-q35-*\""));
    Files.writeString(share.resolve("60-edk2.json"), descriptor("PLAIN", "",
        "\"pc-i440fx-*\""));
    assertEquals(Optional.of(new UefiFirmware(Path.of("/fw/PLAIN_CODE.fd"),
        Path.of("/fw/PLAIN_VARS.fd"))), UefiFirmware.find(List.of(share, etc)));
    Files.writeString(etc.resolve("60-edk2.json"), descriptor("LOCAL", "", "\"pc-i440fx-*\""));
    assertEquals(Optional.of(new UefiFirmware(Path.of("/fw/LOCAL_CODE.fd"),
        Path.of("/fw/LOCAL_VARS.fd"))), UefiFirmware.find(List.of(share, etc)));
    assertEquals(Optional.empty(), UefiFirmware.find(List.of(dir.resolve("none"))));
  }

  /** Debian's qemu-system-data and ovmf, as tools/install-test-deps installs them. */
  @Test
  void debiansDescriptorsGiveTheFourMegabyteBuildWithItsEmptyStore() throws Exception {
    assertEquals(Optional.of(new UefiFirmware(Path.of("/usr/share/OVMF/OVMF_CODE_4M.fd"),
        Path.of("/usr/share/OVMF/OVMF_VARS_4M.fd"))),
        UefiFirmware.find(UefiFirmware.DESCRIPTOR_DIRS));
  }

  private static String descriptor(String name, String feature, String machines) {
    return "{\"interface-types\": [\"uefi\"], \"mapping\": {\"device\": \"flash\","
        + " \"executable\": {\"filename\": \"/fw/" + name + "_CODE.fd\"},"
        + " \"nvram-template\": {\"filename\": \"/fw/" + name + "_VARS.fd\"}},"
        + " \"targets\": [{\"architecture\": \"x86_64\","
        + " \"machines\": [" + machines + "]}],"
        + " \"features\": [\"acpi-s3\"" + (feature.isEmpty() ? "" : ", " + feature) + "]}";
  }
}
