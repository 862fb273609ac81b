package io.failback.common.crypto;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The authenticated data of one sealed block: which job, session and block it is, and how its
 * plaintext is encoded. A block opened under any other values fails its tag check, so a
 * payload cannot be replayed at another index, moved to another disk's session or job, or
 * relabelled as another encoding or length.
 */
final class BlockAad {
  private static final String CONTEXT = "failback/v1 block";
  private static final String KEY_CHECK_CONTEXT = "failback/v1 key check";

  private BlockAad() {}

  static byte[] of(String keyId, String sessionId, long blockIndex, int encoding,
      int rawLength) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 + sessionId.length());
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      // Length-prefixed strings, so that no two (key id, session id) pairs encode alike.
      out.writeUTF(CONTEXT);
      out.writeUTF(keyId);
      out.writeUTF(sessionId);
      out.writeLong(blockIndex);
      out.writeInt(encoding);
      out.writeInt(rawLength);
    } catch (IOException e) {
      throw new UncheckedIOException("writing to memory failed", e);
    }
    return bytes.toByteArray();
  }

  /** The authenticated data of a key check value; its context sets it apart from any block. */
  static byte[] keyCheck(String keyId) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeUTF(KEY_CHECK_CONTEXT);
      out.writeUTF(keyId);
    } catch (IOException e) {
      throw new UncheckedIOException("writing to memory failed", e);
    }
    return bytes.toByteArray();
  }
}
