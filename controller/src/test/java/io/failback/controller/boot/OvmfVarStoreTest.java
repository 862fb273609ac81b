package io.failback.controller.boot;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * A boot entry as bytes, and written into OVMF's empty variable store (Debian's ovmf package,
 * which tools/install-test-deps installs): the variables read back as edk2 lays them out.
 * KvmUefiFailoverTest boots through such a store.
 */
class OvmfVarStoreTest {
  private static final Path TEMPLATE = Path.of("/usr/share/OVMF/OVMF_VARS_4M.fd");
  private static final EfiBootEntry ENTRY = new EfiBootEntry("\\EFI\\DEBIAN\\SHIMX64.EFI", 1,
      2048, 61440, UUID.fromString("3c193463-0bde-914e-bdd2-912acc85a3d1"));

  @Test
  void theEntryIsAnActiveLoadOptionWithAHardDriveAndAFilePath() {
    assertEquals("HD(1,GPT,3C193463-0BDE-914E-BDD2-912ACC85A3D1,0x800,0xF000)/"
        + "\\EFI\\DEBIAN\\SHIMX64.EFI", ENTRY.devicePath());
    ByteBuffer option = ByteBuffer.wrap(ENTRY.loadOption("Failback")).order(
        ByteOrder.LITTLE_ENDIAN);
    assertEquals(1, option.getInt(0), "LOAD_OPTION_ACTIVE");
    int pathLength = option.getShort(4);
    byte[] name = "Failback\0".getBytes(StandardCharsets.UTF_16LE);
    assertArrayEquals(name, Arrays.copyOfRange(option.array(), 6, 6 + name.length));
    int path = 6 + name.length;
    assertEquals(option.capacity(), path + pathLength);
    // Hard drive node: media (4), subtype 1, 42 bytes; partition 1 at 2048 for 61440.
    assertEquals(List4.of(4, 1, 42, 1), List4.of(option.get(path), option.get(path + 1),
        option.getShort(path + 2), option.getInt(path + 4)));
    assertEquals(2048, option.getLong(path + 8));
    assertEquals(61440, option.getLong(path + 16));
    // The signature as GPT stores the GUID: 63 34 19 3C, DE 0B, 4E 91, then BD D2 … in order.
    assertArrayEquals(new byte[] {0x63, 0x34, 0x19, 0x3C, (byte) 0xDE, 0x0B, 0x4E, (byte) 0x91,
        (byte) 0xBD, (byte) 0xD2, (byte) 0x91, 0x2A, (byte) 0xCC, (byte) 0x85, (byte) 0xA3,
        (byte) 0xD1}, Arrays.copyOfRange(option.array(), path + 24, path + 40));
    assertEquals(2, option.get(path + 40), "GPT");
    assertEquals(2, option.get(path + 41), "GUID signature");
    int file = path + 42;
    assertEquals(List4.of(4, 4, 4 + 2 * 24, 0), List4.of(option.get(file),
        option.get(file + 1), option.getShort(file + 2), 0));
    int end = file + 4 + 48; // 23 characters and the NUL
    assertEquals(List4.of(0x7F, 0xFF, 4, 0), List4.of(option.get(end) & 0xFF,
        option.get(end + 1) & 0xFF, option.getShort(end + 2), 0));
    assertThrows(IllegalArgumentException.class, () -> new EfiBootEntry("\\EFI\\..\\x.efi", 1,
        2048, 1, UUID.randomUUID()), "only FAT 8.3 names in capitals");
  }

  @Test
  void bootZeroAndABootOrderNamingItAreWrittenIntoTheEmptyStore() throws Exception {
    byte[] template = Files.readAllBytes(TEMPLATE);
    byte[] option = ENTRY.loadOption("Failback: \\EFI\\DEBIAN\\SHIMX64.EFI");
    byte[] store = OvmfVarStore.withBootEntry(template, option);
    assertEquals(template.length, store.length);
    ByteBuffer bytes = ByteBuffer.wrap(store).order(ByteOrder.LITTLE_ENDIAN);
    int at = (bytes.getShort(48) & 0xFFFF) + 28;
    at = assertVariable(bytes, at, "Boot0000", option);
    at = assertVariable(bytes, at, "BootOrder", new byte[2]);
    assertEquals((short) 0xFFFF, bytes.getShort(at), "nothing after them");
    assertArrayEquals(Arrays.copyOfRange(template, at, template.length),
        Arrays.copyOfRange(store, at, store.length), "the rest is the template's");

    IOException full = assertThrows(IOException.class,
        () -> OvmfVarStore.withBootEntry(store, option));
    assertTrue(full.getMessage().contains("not empty"), full.getMessage());
    IOException notOne = assertThrows(IOException.class,
        () -> OvmfVarStore.withBootEntry(new byte[template.length], option));
    assertTrue(notOne.getMessage().contains("not an OVMF variable store"), notOne.getMessage());
  }

  /** Checks the variable at {@code at} and says where the next one starts. */
  private static int assertVariable(ByteBuffer bytes, int at, String name, byte[] data) {
    assertEquals((short) 0x55AA, bytes.getShort(at), name);
    assertEquals(0x3F, bytes.get(at + 2), name + ": added");
    assertEquals(7, bytes.getInt(at + 4), name + ": non-volatile, boot and runtime");
    byte[] utf16 = (name + "\0").getBytes(StandardCharsets.UTF_16LE);
    assertEquals(utf16.length, bytes.getInt(at + 36));
    assertEquals(data.length, bytes.getInt(at + 40));
    assertArrayEquals(EfiBootEntry.guidBytes(UUID.fromString(
        "8be4df61-93ca-11d2-aa0d-00e098032b8c")), Arrays.copyOfRange(bytes.array(), at + 44,
        at + 60), "EFI_GLOBAL_VARIABLE");
    assertArrayEquals(utf16, Arrays.copyOfRange(bytes.array(), at + 60, at + 60 + utf16.length));
    int value = at + 60 + utf16.length;
    assertArrayEquals(data, Arrays.copyOfRange(bytes.array(), value, value + data.length));
    return (value + data.length + 3) & ~3;
  }

  /** Four numbers compared at once. */
  private record List4(int a, int b, int c, int d) {
    static List4 of(int a, int b, int c, int d) {
      return new List4(a, b, c, d);
    }
  }
}
