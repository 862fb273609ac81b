package io.failback.common.testing;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.stub.ClientCalls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;

/**
 * Calls a method with request bytes as they are, parseable or not: what a fuzzer or a hostile
 * client sends. Answers come back as bytes too.
 */
public final class RawCalls {
  private RawCalls() {}

  /** A unary (or server-streaming, first answer only) call with {@code request} as sent. */
  public static byte[] unary(Channel channel, MethodDescriptor<?, ?> method, byte[] request) {
    return unary(channel, method, request, 30_000);
  }

  /**
   * As {@link #unary(Channel, MethodDescriptor, byte[])} within {@code deadlineMillis}; a
   * server-streaming call is read to its end and the last answer returned.
   */
  public static byte[] unary(Channel channel, MethodDescriptor<?, ?> method, byte[] request,
      long deadlineMillis) {
    MethodDescriptor<byte[], byte[]> raw = raw(method);
    CallOptions options = CallOptions.DEFAULT.withDeadlineAfter(deadlineMillis,
        TimeUnit.MILLISECONDS);
    if (method.getType() == MethodDescriptor.MethodType.SERVER_STREAMING) {
      Iterator<byte[]> answers = ClientCalls.blockingServerStreamingCall(channel, raw, options,
          request);
      byte[] last = new byte[0];
      while (answers.hasNext()) {
        last = answers.next();
      }
      return last;
    }
    if (method.getType() != MethodDescriptor.MethodType.UNARY) {
      throw Status.UNIMPLEMENTED.withDescription("RawCalls sends one request only")
          .asRuntimeException();
    }
    ClientCall<byte[], byte[]> call = channel.newCall(raw, options);
    return ClientCalls.blockingUnaryCall(call, request);
  }

  /**
   * A streaming call that sends {@code requests} as they are, half-closes, and waits up to
   * {@code waitMillis} for the server to end it.
   *
   * @return how the server ended the call, or null if it kept it open (then cancelled here)
   */
  public static Status stream(Channel channel, MethodDescriptor<?, ?> method,
      java.util.List<byte[]> requests, long waitMillis) throws InterruptedException {
    ClientCall<byte[], byte[]> call = channel.newCall(raw(method), CallOptions.DEFAULT);
    java.util.concurrent.CompletableFuture<Status> closed =
        new java.util.concurrent.CompletableFuture<>();
    call.start(new ClientCall.Listener<>() {
      @Override
      public void onClose(Status status, io.grpc.Metadata trailers) {
        closed.complete(status);
      }
    }, new io.grpc.Metadata());
    call.request(Integer.MAX_VALUE);
    for (byte[] request : requests) {
      call.sendMessage(request);
    }
    call.halfClose();
    try {
      return closed.get(waitMillis, TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.TimeoutException open) {
      call.cancel("the fuzz case is over", null);
      return null;
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException(e);
    }
  }

  /** {@code method} with both sides as plain bytes. */
  public static MethodDescriptor<byte[], byte[]> raw(MethodDescriptor<?, ?> method) {
    return method.toBuilder(Bytes.INSTANCE, Bytes.INSTANCE).build();
  }

  private enum Bytes implements MethodDescriptor.Marshaller<byte[]> {
    INSTANCE;

    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        return stream.readAllBytes();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
