package io.failback.controller.boot;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.UUID;

/**
 * OVMF's UEFI variable store (the VARS flash image a VM keeps its boot entries in), written
 * from an empty template with one boot entry: {@code Boot0000} and a {@code BootOrder} naming
 * it, as an OS's installer leaves them. The layout is edk2's: a firmware volume
 * (EFI_FIRMWARE_VOLUME_HEADER, the NV data GUID), an authenticated variable store header, then
 * variables, each a 60-byte header, its UTF-16 name and its data, 4-byte aligned, in erased
 * (0xFF) flash. The template is checked to be exactly that and empty; nothing else is written.
 */
public final class OvmfVarStore {
  private static final UUID NV_DATA_FV = UUID.fromString("fff12b8d-7696-4c8b-a985-2747075b4f50");
  private static final UUID AUTHENTICATED_STORE =
      UUID.fromString("aaf32c78-947b-439a-a180-2e144ec37792");
  private static final UUID GLOBAL_VARIABLE =
      UUID.fromString("8be4df61-93ca-11d2-aa0d-00e098032b8c");
  private static final int STORE_HEADER = 28;
  private static final int VARIABLE_HEADER = 60;
  private static final short START_ID = 0x55AA;
  private static final byte VAR_ADDED = 0x3F;
  /** Non-volatile, boot service and runtime access: what the UEFI spec gives Boot####. */
  private static final int NV_BS_RT = 7;

  private OvmfVarStore() {}

  /**
   * {@code template} with {@code loadOption} ({@link EfiBootEntry#loadOption}) as Boot0000, the
   * only entry of BootOrder.
   *
   * @throws IOException when the template is not an empty OVMF variable store
   */
  public static byte[] withBootEntry(byte[] template, byte[] loadOption) throws IOException {
    ByteBuffer store = ByteBuffer.wrap(template.clone()).order(ByteOrder.LITTLE_ENDIAN);
    if (template.length < 4096 || !EfiBootEntry.guid(template, 16).equals(NV_DATA_FV)
        || !new String(template, 40, 4, StandardCharsets.US_ASCII).equals("_FVH")) {
      throw new IOException("not an OVMF variable store: no NV data firmware volume");
    }
    int header = store.getShort(48) & 0xFFFF;
    if (header < 56 || header + STORE_HEADER > template.length
        || !EfiBootEntry.guid(template, header).equals(AUTHENTICATED_STORE)
        || store.get(header + 20) != 0x5A || store.get(header + 21) != (byte) 0xFE) {
      throw new IOException("not an OVMF variable store: no healthy authenticated store");
    }
    long size = store.getInt(header + 16) & 0xFFFFFFFFL;
    int at = header + STORE_HEADER;
    int end = (int) Math.min(template.length, header + size);
    if (store.getShort(at) != (short) 0xFFFF) {
      throw new IOException("the variable store template is not empty");
    }
    at = put(store, at, end, "Boot0000", loadOption);
    put(store, at, end, "BootOrder", new byte[2]); // one UINT16: 0000
    return store.array();
  }

  /** Writes one variable at {@code at}; where the next one goes. */
  private static int put(ByteBuffer store, int at, int end, String name, byte[] data)
      throws IOException {
    byte[] utf16 = (name + '\0').getBytes(StandardCharsets.UTF_16LE);
    int length = VARIABLE_HEADER + utf16.length + data.length;
    int next = (at + length + 3) & ~3;
    if (next > end || !erased(store.array(), at, next)) {
      throw new IOException("no room for " + name + " in the variable store");
    }
    store.position(at);
    // Monotonic count, time stamp and public key index: zero, as for a variable not signed.
    store.putShort(START_ID).put(VAR_ADDED).put((byte) 0).putInt(NV_BS_RT).putLong(0)
        .put(new byte[16]).putInt(0).putInt(utf16.length).putInt(data.length)
        .put(EfiBootEntry.guidBytes(GLOBAL_VARIABLE)).put(utf16).put(data);
    return next;
  }

  private static boolean erased(byte[] bytes, int from, int to) {
    for (int i = from; i < to; i++) {
      if (bytes[i] != (byte) 0xFF) {
        return false;
      }
    }
    return true;
  }
}
