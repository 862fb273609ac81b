package io.failback.common.nbd;

import static io.failback.common.nbd.NbdProtocol.CMD_BLOCK_STATUS;
import static io.failback.common.nbd.NbdProtocol.CMD_DISC;
import static io.failback.common.nbd.NbdProtocol.CMD_FLUSH;
import static io.failback.common.nbd.NbdProtocol.CMD_READ;
import static io.failback.common.nbd.NbdProtocol.CMD_WRITE;
import static io.failback.common.nbd.NbdProtocol.CMD_WRITE_ZEROES;
import static io.failback.common.nbd.NbdProtocol.REPLY_FLAG_DONE;
import static io.failback.common.nbd.NbdProtocol.REPLY_TYPE_BLOCK_STATUS;
import static io.failback.common.nbd.NbdProtocol.REPLY_TYPE_ERROR_BIT;
import static io.failback.common.nbd.NbdProtocol.REPLY_TYPE_NONE;
import static io.failback.common.nbd.NbdProtocol.REPLY_TYPE_OFFSET_DATA;
import static io.failback.common.nbd.NbdProtocol.REPLY_TYPE_OFFSET_HOLE;
import static io.failback.common.nbd.NbdProtocol.REQUEST_MAGIC;
import static io.failback.common.nbd.NbdProtocol.SIMPLE_REPLY_MAGIC;
import static io.failback.common.nbd.NbdProtocol.STRUCTURED_REPLY_MAGIC;
import static io.failback.common.nbd.NbdProtocol.TRANSMIT_READ_ONLY;
import static io.failback.common.nbd.NbdProtocol.TRANSMIT_SEND_FLUSH;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A small NBD client: fixed newstyle handshake, structured replies, read, write, write-zeroes,
 * flush and block status. TLS is not offered: it is meant for local sockets only.
 *
 * <p>Threading: safe for use from several threads; requests are sent one at a time, each waiting
 * for its reply (so replies never need matching by cookie).
 */
public final class NbdClient implements Closeable {
  /** Bytes per read request of a large read. */
  private static final int PART = 256 * 1024;
  /** Read requests in flight at once. */
  private static final int IN_FLIGHT = 8;
  private final SocketChannel channel;
  private final DataInputStream in;
  private final DataOutputStream out;
  private final NbdHandshake.Export export;
  private final String name;
  private long cookie;
  private long blockStatusRequests;
  /** The first error of the read request {@link #readReply} just finished, if it failed. */
  private NbdException pendingError;
  private boolean closed;

  private NbdClient(SocketChannel channel, DataInputStream in, DataOutputStream out,
      NbdHandshake.Export export, String name) {
    this.channel = channel;
    this.in = in;
    this.out = out;
    this.export = export;
    this.name = name;
  }

  /** Connects to a Unix socket and opens {@code exportName} with the given metadata contexts. */
  public static NbdClient connect(Path socket, String exportName, List<String> metaContexts)
      throws IOException {
    return connect(UnixDomainSocketAddress.of(socket), exportName, metaContexts);
  }

  /** Connects to {@code address} and opens {@code exportName} with the given contexts. */
  public static NbdClient connect(SocketAddress address, String exportName,
      List<String> metaContexts) throws IOException {
    SocketChannel channel = SocketChannel.open(address);
    try {
      DataInputStream in = new DataInputStream(
          new BufferedInputStream(Channels.newInputStream(channel), 1 << 16));
      DataOutputStream out = new DataOutputStream(
          new BufferedOutputStream(Channels.newOutputStream(channel), 1 << 16));
      NbdHandshake.Export export =
          new NbdHandshake(in, out).negotiate(exportName, metaContexts);
      return new NbdClient(channel, in, out, export, "NBD export '" + exportName + "' at "
          + address);
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
  }

  public long size() {
    return export.size();
  }

  public boolean readOnly() {
    return (export.transmissionFlags() & TRANSMIT_READ_ONLY) != 0;
  }

  /** Largest length of one request. */
  public int maximumRequest() {
    return export.maximumRequest();
  }

  /** Block-status requests sent so far (a round trip each, which the lanes wait for). */
  public synchronized long blockStatusRequests() {
    return blockStatusRequests;
  }

  /** Whether the handshake negotiated {@code context}. */
  public boolean hasContext(String context) {
    return export.contexts().containsKey(context);
  }

  /**
   * Fills {@code dst} with the bytes at {@code offset}; holes the server reports read as zeros.
   *
   * <p>A large read goes out as parts of {@value #PART} bytes with up to {@value #IN_FLIGHT} in
   * flight, replies matched by handle: one request at a time leaves the server idle for a
   * round trip per request, which held reads to a tenth of what qemu-nbd serves.
   */
  public synchronized void read(long offset, ByteBuffer dst) throws IOException {
    int length = dst.remaining();
    byte[] target = dst.hasArray() ? dst.array() : new byte[length];
    int base = dst.hasArray() ? dst.arrayOffset() + dst.position() : 0;
    int part = Math.min(PART, export.maximumRequest());
    Map<Long, Integer> starts = new HashMap<>();
    int next = 0;
    IOException failure = null;
    while (next < length || !starts.isEmpty()) {
      while (next < length && starts.size() < IN_FLIGHT) {
        int size = Math.min(part, length - next);
        starts.put(send(CMD_READ, offset + next, size, null), next);
        next += size;
      }
      long done = readReply(starts.keySet(), (handle, type, payloadLength) -> {
        long chunkOffset = in.readLong();
        long at = chunkOffset - offset;
        long count = type == REPLY_TYPE_OFFSET_DATA ? payloadLength - 8
            : in.readInt() & 0xffffffffL;
        if (at < starts.get(handle) || count < 0 || at + count > length) {
          throw new IOException(name + ": read chunk outside the request");
        }
        if (type == REPLY_TYPE_OFFSET_DATA) {
          in.readFully(target, base + (int) at, (int) count);
        } else {
          Arrays.fill(target, base + (int) at, base + (int) (at + count), (byte) 0);
        }
      });
      if (done < 0) {
        continue;
      }
      starts.remove(done);
      if (pendingError != null && failure == null) {
        failure = pendingError;
      }
      pendingError = null;
    }
    if (failure != null) {
      throw failure;
    }
    if (dst.hasArray()) {
      dst.position(dst.position() + length);
    } else {
      dst.put(target);
    }
  }

  /** Writes {@code src} at {@code offset}; durable only after {@link #flush()}. */
  public synchronized void write(long offset, ByteBuffer src) throws IOException {
    int length = src.remaining();
    long handle = send(CMD_WRITE, offset, length, src);
    readReplies(handle, null);
  }

  /** Makes the range read as zeros (the server may punch holes). */
  public synchronized void writeZeroes(long offset, int length) throws IOException {
    long handle = send(CMD_WRITE_ZEROES, offset, length, null);
    readReplies(handle, null);
  }

  public synchronized void flush() throws IOException {
    if ((export.transmissionFlags() & TRANSMIT_SEND_FLUSH) == 0) {
      return; // The server does not cache writes, so there is nothing to flush.
    }
    long handle = send(CMD_FLUSH, 0, 0, null);
    readReplies(handle, null);
  }

  /**
   * The extents of {@code context} from {@code offset}, for at most {@code length} bytes: the
   * server may describe less than asked (never nothing), so callers continue from the last end.
   */
  public synchronized List<NbdExtent> blockStatus(String context, long offset, int length)
      throws IOException {
    blockStatusRequests++;
    Integer id = export.contexts().get(context);
    if (id == null) {
      throw new IllegalStateException(name + ": metadata context " + context
          + " was not negotiated");
    }
    long handle = send(CMD_BLOCK_STATUS, offset, length, null);
    List<NbdExtent> extents = new ArrayList<>();
    readReplies(handle, (type, payloadLength) -> {
      int replyContext = in.readInt();
      long position = offset;
      for (int left = payloadLength - 4; left >= 8; left -= 8) {
        long extentLength = in.readInt() & 0xffffffffL;
        int flags = in.readInt();
        if (replyContext == id) {
          extents.add(new NbdExtent(position, extentLength, flags));
        }
        position += extentLength;
      }
    });
    if (extents.isEmpty()) {
      throw new IOException(name + ": block status of " + context + " described nothing");
    }
    return extents;
  }

  private long send(short type, long offset, int length, ByteBuffer data) throws IOException {
    if (closed) {
      throw new IOException(name + ": closed");
    }
    long handle = ++cookie;
    out.writeInt(REQUEST_MAGIC);
    out.writeShort(0);
    out.writeShort(type);
    out.writeLong(handle);
    out.writeLong(offset);
    out.writeInt(length);
    if (data != null) {
      ByteBuffer copy = data.duplicate();
      byte[] chunk = new byte[Math.min(copy.remaining(), 1 << 16)];
      while (copy.hasRemaining()) {
        int n = Math.min(chunk.length, copy.remaining());
        copy.get(chunk, 0, n);
        out.write(chunk, 0, n);
      }
      data.position(data.limit());
    }
    out.flush();
    return handle;
  }

  /** Reads one chunk's payload (after the structured reply header). */
  private interface ChunkReader {
    void read(int type, int payloadLength) throws IOException;
  }

  /** Reads the reply chunks of {@code handle} until DONE, throwing the first error after it. */
  private void readReplies(long handle, ChunkReader reader) throws IOException {
    NbdException error = null;
    while (true) {
      int magic = in.readInt();
      if (magic == SIMPLE_REPLY_MAGIC) {
        // Only sent for requests with no data in reply (or errors before any data).
        int errno = in.readInt();
        checkHandle(handle, in.readLong());
        if (errno != 0) {
          throw new NbdException(errno, name + ": request failed with error " + errno);
        }
        return;
      }
      if (magic != STRUCTURED_REPLY_MAGIC) {
        throw new IOException(name + ": bad reply magic " + Integer.toHexString(magic));
      }
      int flags = in.readUnsignedShort();
      int type = in.readUnsignedShort();
      checkHandle(handle, in.readLong());
      int payloadLength = in.readInt();
      if ((type & REPLY_TYPE_ERROR_BIT) != 0) {
        int errno = in.readInt();
        int messageLength = in.readUnsignedShort();
        String message = new String(in.readNBytes(messageLength), StandardCharsets.UTF_8);
        in.skipNBytes(payloadLength - 6 - messageLength);
        if (error == null) {
          error = new NbdException(errno, name + ": error " + errno + ": " + message);
        }
      } else if (type == REPLY_TYPE_NONE) {
        in.skipNBytes(payloadLength);
      } else if (reader != null && (type == REPLY_TYPE_OFFSET_DATA
          || type == REPLY_TYPE_OFFSET_HOLE || type == REPLY_TYPE_BLOCK_STATUS)) {
        reader.read(type, payloadLength);
      } else {
        in.skipNBytes(payloadLength);
      }
      if ((flags & REPLY_FLAG_DONE) != 0) {
        if (error != null) {
          throw error;
        }
        return;
      }
    }
  }

  /** Reads a chunk of a read reply, knowing which request it answers. */
  private interface PartReader {
    void read(long handle, int type, int payloadLength) throws IOException;
  }

  /**
   * Reads one reply chunk of any request in {@code handles}; returns its handle once that
   * request is done (its first error, if any, left in {@link #pendingError}), else -1.
   */
  private long readReply(java.util.Set<Long> handles, PartReader reader) throws IOException {
    int magic = in.readInt();
    if (magic == SIMPLE_REPLY_MAGIC) {
      int errno = in.readInt();
      long handle = in.readLong();
      requireKnown(handles, handle);
      if (errno != 0 && pendingError == null) {
        pendingError = new NbdException(errno, name + ": request failed with error " + errno);
      }
      return handle;
    }
    if (magic != STRUCTURED_REPLY_MAGIC) {
      throw new IOException(name + ": bad reply magic " + Integer.toHexString(magic));
    }
    int flags = in.readUnsignedShort();
    int type = in.readUnsignedShort();
    long handle = in.readLong();
    requireKnown(handles, handle);
    int payloadLength = in.readInt();
    if ((type & REPLY_TYPE_ERROR_BIT) != 0) {
      int errno = in.readInt();
      int messageLength = in.readUnsignedShort();
      String message = new String(in.readNBytes(messageLength), StandardCharsets.UTF_8);
      in.skipNBytes(payloadLength - 6 - messageLength);
      if (pendingError == null) {
        pendingError = new NbdException(errno, name + ": error " + errno + ": " + message);
      }
    } else if (type == REPLY_TYPE_OFFSET_DATA || type == REPLY_TYPE_OFFSET_HOLE) {
      reader.read(handle, type, payloadLength);
    } else {
      in.skipNBytes(payloadLength);
    }
    return (flags & REPLY_FLAG_DONE) != 0 ? handle : -1;
  }

  private void requireKnown(java.util.Set<Long> handles, long handle) throws IOException {
    if (!handles.contains(handle)) {
      throw new IOException(name + ": reply for request " + handle + ", which is not in flight");
    }
  }

  private void checkHandle(long expected, long actual) throws IOException {
    if (expected != actual) {
      throw new IOException(name + ": reply for request " + actual + ", expected " + expected);
    }
  }

  /** Sends NBD_CMD_DISC (the server then finishes in-flight writes) and closes the socket. */
  @Override
  public synchronized void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    try {
      out.writeInt(REQUEST_MAGIC);
      out.writeShort(0);
      out.writeShort(CMD_DISC);
      out.writeLong(++cookie);
      out.writeLong(0);
      out.writeInt(0);
      out.flush();
    } catch (IOException e) {
      // The server went away first: nothing is left to tell it.
    } finally {
      channel.close();
    }
  }

  @Override
  public String toString() {
    return name;
  }

  Map<String, Integer> contexts() {
    return export.contexts();
  }
}
