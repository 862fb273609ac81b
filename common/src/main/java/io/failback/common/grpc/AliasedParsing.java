package io.failback.common.grpc;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import com.google.protobuf.UnsafeByteOperations;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.protobuf.ProtoUtils;
import java.io.IOException;
import java.io.InputStream;

/**
 * Parses a received message so that its {@code bytes} fields share the message's array instead
 * of holding copies: a sync frame's 64 KiB block is then copied once on arrival (out of the
 * transport's buffers), not twice.
 *
 * <p>grpc's protobuf marshaller reads each message into a buffer it reuses, so protobuf must
 * copy every {@code bytes} field out of it ({@code ByteString.copyFrom} took 3.5 % of the
 * agent's CPU in a full download, docs/BENCHMARKS.md). Here each message gets an array of its
 * own, which nothing writes after parsing, and the fields alias it. Sending is grpc's own.
 */
public final class AliasedParsing {
  private AliasedParsing() {}

  /** grpc's marshaller for {@code prototype}'s type, parsing as described above. */
  public static <T extends Message> MethodDescriptor.Marshaller<T> marshaller(
      T prototype) {
    return new Marshaller<>(prototype);
  }

  /**
   * {@code stream}'s message, its {@code bytes} fields aliasing an array of its own; a message
   * that does not parse is {@code INTERNAL}, as grpc's marshaller has it.
   */
  public static <T> T parse(Parser<T> parser, InputStream stream) {
    try {
      byte[] bytes = stream instanceof KnownLength ? readKnown(stream) : stream.readAllBytes();
      // A literal string's coded input knows its array is immutable, the condition for
      // aliasing.
      CodedInputStream input = UnsafeByteOperations.unsafeWrap(bytes).newCodedInput();
      input.enableAliasing(true);
      return parser.parseFrom(input);
    } catch (InvalidProtocolBufferException e) {
      throw Status.INTERNAL.withDescription("Invalid protobuf byte sequence").withCause(e)
          .asRuntimeException();
    } catch (IOException e) {
      throw Status.INTERNAL.withDescription("reading a message: " + e.getMessage())
          .withCause(e).asRuntimeException();
    }
  }

  /**
   * Into one array of the message's length. Not {@code readNBytes}: it reads through 8 KiB
   * buffers and copies them together, a second copy of every block.
   */
  private static byte[] readKnown(InputStream stream) throws IOException {
    byte[] bytes = new byte[stream.available()];
    int at = 0;
    while (at < bytes.length) {
      int read = stream.read(bytes, at, bytes.length - at);
      if (read < 0) {
        throw new IOException("message ended after " + at + " of " + bytes.length + " bytes");
      }
      at += read;
    }
    return bytes;
  }

  private static final class Marshaller<T extends Message>
      implements MethodDescriptor.PrototypeMarshaller<T> {
    private final T prototype;
    private final MethodDescriptor.Marshaller<T> sending;
    private final Parser<T> parser;

    @SuppressWarnings("unchecked")
    Marshaller(T prototype) {
      this.prototype = prototype;
      this.sending = ProtoUtils.marshaller(prototype);
      this.parser = (Parser<T>) prototype.getParserForType();
    }

    @Override
    public InputStream stream(T value) {
      return sending.stream(value);
    }

    @Override
    public T parse(InputStream stream) {
      return AliasedParsing.parse(parser, stream);
    }

    @Override
    public Class<T> getMessageClass() {
      @SuppressWarnings("unchecked")
      Class<T> type = (Class<T>) prototype.getClass();
      return type;
    }

    @Override
    public T getMessagePrototype() {
      return prototype;
    }
  }
}
