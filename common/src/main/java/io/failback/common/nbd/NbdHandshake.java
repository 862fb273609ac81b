package io.failback.common.nbd;

import static io.failback.common.nbd.NbdProtocol.DEFAULT_MAX_REQUEST;
import static io.failback.common.nbd.NbdProtocol.FLAG_FIXED_NEWSTYLE;
import static io.failback.common.nbd.NbdProtocol.FLAG_NO_ZEROES;
import static io.failback.common.nbd.NbdProtocol.IHAVEOPT;
import static io.failback.common.nbd.NbdProtocol.INFO_BLOCK_SIZE;
import static io.failback.common.nbd.NbdProtocol.INFO_EXPORT;
import static io.failback.common.nbd.NbdProtocol.NBDMAGIC;
import static io.failback.common.nbd.NbdProtocol.OPT_GO;
import static io.failback.common.nbd.NbdProtocol.OPT_SET_META_CONTEXT;
import static io.failback.common.nbd.NbdProtocol.OPT_STRUCTURED_REPLY;
import static io.failback.common.nbd.NbdProtocol.REPLY_MAGIC_OPTION;
import static io.failback.common.nbd.NbdProtocol.REP_ACK;
import static io.failback.common.nbd.NbdProtocol.REP_FLAG_ERROR;
import static io.failback.common.nbd.NbdProtocol.REP_INFO;
import static io.failback.common.nbd.NbdProtocol.REP_META_CONTEXT;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The fixed-newstyle handshake: structured replies, metadata contexts, then NBD_OPT_GO.
 *
 * <p>Structured replies are required, not optional: block status only exists with them, and a
 * read answered with holes needs no zero bytes on the wire.
 */
final class NbdHandshake {
  /** What the server said about the export. */
  record Export(long size, int transmissionFlags, int minimumBlock, int maximumRequest,
      Map<String, Integer> contexts) {}

  private final DataInputStream in;
  private final DataOutputStream out;

  NbdHandshake(DataInputStream in, DataOutputStream out) {
    this.in = in;
    this.out = out;
  }

  Export negotiate(String exportName, List<String> metaContexts) throws IOException {
    if (in.readLong() != NBDMAGIC || in.readLong() != IHAVEOPT) {
      throw new IOException("not an NBD newstyle server");
    }
    int serverFlags = in.readUnsignedShort();
    if ((serverFlags & FLAG_FIXED_NEWSTYLE) == 0) {
      throw new IOException("the NBD server does not speak fixed newstyle");
    }
    out.writeInt(FLAG_FIXED_NEWSTYLE | (serverFlags & FLAG_NO_ZEROES));
    sendOption(OPT_STRUCTURED_REPLY, new byte[0]);
    expectAck(OPT_STRUCTURED_REPLY, "structured replies");
    Map<String, Integer> contexts = metaContexts.isEmpty() ? Map.of()
        : setMetaContexts(exportName, metaContexts);
    return go(exportName, contexts);
  }

  private Map<String, Integer> setMetaContexts(String exportName, List<String> queries)
      throws IOException {
    byte[] name = exportName.getBytes(StandardCharsets.UTF_8);
    java.io.ByteArrayOutputStream body = new java.io.ByteArrayOutputStream();
    DataOutputStream data = new DataOutputStream(body);
    data.writeInt(name.length);
    data.write(name);
    data.writeInt(queries.size());
    for (String query : queries) {
      byte[] bytes = query.getBytes(StandardCharsets.UTF_8);
      data.writeInt(bytes.length);
      data.write(bytes);
    }
    sendOption(OPT_SET_META_CONTEXT, body.toByteArray());
    Map<String, Integer> contexts = new HashMap<>();
    while (true) {
      Reply reply = readReply(OPT_SET_META_CONTEXT);
      if (reply.type == REP_ACK) {
        break;
      }
      if (reply.type == REP_META_CONTEXT) {
        int id = readInt(reply.data, 0);
        contexts.put(new String(reply.data, 4, reply.data.length - 4, StandardCharsets.UTF_8), id);
      }
    }
    for (String query : queries) {
      if (!contexts.containsKey(query)) {
        throw new NbdException(0, "the NBD export '" + exportName + "' has no metadata context "
            + query + " (offered: " + contexts.keySet() + ")");
      }
    }
    return Map.copyOf(contexts);
  }

  private Export go(String exportName, Map<String, Integer> contexts) throws IOException {
    byte[] name = exportName.getBytes(StandardCharsets.UTF_8);
    java.io.ByteArrayOutputStream body = new java.io.ByteArrayOutputStream();
    DataOutputStream data = new DataOutputStream(body);
    data.writeInt(name.length);
    data.write(name);
    data.writeShort(1);
    data.writeShort(INFO_BLOCK_SIZE);
    sendOption(OPT_GO, body.toByteArray());
    long size = -1;
    int flags = 0;
    int minimum = 1;
    int maximum = DEFAULT_MAX_REQUEST;
    while (true) {
      Reply reply = readReply(OPT_GO);
      if (reply.type == REP_ACK) {
        break;
      }
      if (reply.type != REP_INFO || reply.data.length < 2) {
        continue;
      }
      int info = ((reply.data[0] & 0xff) << 8) | (reply.data[1] & 0xff);
      if (info == INFO_EXPORT) {
        size = readLong(reply.data, 2);
        flags = ((reply.data[10] & 0xff) << 8) | (reply.data[11] & 0xff);
      } else if (info == INFO_BLOCK_SIZE) {
        minimum = readInt(reply.data, 2);
        maximum = Math.min(DEFAULT_MAX_REQUEST, readInt(reply.data, 10));
      }
    }
    if (size < 0) {
      throw new IOException("the NBD server did not say the size of '" + exportName + "'");
    }
    return new Export(size, flags, minimum, maximum, contexts);
  }

  private void sendOption(int option, byte[] data) throws IOException {
    out.writeLong(IHAVEOPT);
    out.writeInt(option);
    out.writeInt(data.length);
    out.write(data);
    out.flush();
  }

  private record Reply(int type, byte[] data) {}

  private Reply readReply(int option) throws IOException {
    if (in.readLong() != REPLY_MAGIC_OPTION) {
      throw new IOException("bad NBD option reply magic");
    }
    int replyOption = in.readInt();
    int type = in.readInt();
    int length = in.readInt();
    if (replyOption != option || length < 0 || length > 1 << 20) {
      throw new IOException("unexpected NBD option reply for option " + replyOption);
    }
    byte[] data = in.readNBytes(length);
    if ((type & REP_FLAG_ERROR) != 0) {
      throw new NbdException(type, "the NBD server refused option " + option + " (reply "
          + (type & ~REP_FLAG_ERROR) + "): " + new String(data, StandardCharsets.UTF_8));
    }
    return new Reply(type, data);
  }

  private void expectAck(int option, String what) throws IOException {
    if (readReply(option).type != REP_ACK) {
      throw new IOException("the NBD server did not acknowledge " + what);
    }
  }

  static int readInt(byte[] b, int at) {
    return ((b[at] & 0xff) << 24) | ((b[at + 1] & 0xff) << 16) | ((b[at + 2] & 0xff) << 8)
        | (b[at + 3] & 0xff);
  }

  static long readLong(byte[] b, int at) {
    return ((long) readInt(b, at) << 32) | (readInt(b, at + 4) & 0xffffffffL);
  }
}
