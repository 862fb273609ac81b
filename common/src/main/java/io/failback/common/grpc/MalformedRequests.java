package io.failback.common.grpc;

import com.google.protobuf.MessageLite;
import io.failback.common.text.BoundedText;
import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Answers a request that does not parse (truncated, a string that is not UTF-8, a wrong wire
 * type) with {@code INVALID_ARGUMENT}. grpc-java parses before any interceptor sees the message
 * and answers a parse failure with {@code UNKNOWN: Application error processing RPC}, which
 * tells the caller nothing and looks like a server bug; so each method is re-bound to receive
 * the raw stream and parses them here, with the method's own parser; a protobuf request's
 * {@code bytes} fields alias an array of the request's own ({@link AliasedParsing}).
 */
public final class MalformedRequests {
  private MalformedRequests() {}

  /** {@code service} with every method parsing its requests as described above. */
  public static ServerServiceDefinition refuse(ServerServiceDefinition service) {
    return refuse(service, request -> null);
  }

  /**
   * As {@link #refuse(ServerServiceDefinition)}, and each parsed request must also pass
   * {@code shape}, which answers what is wrong with it (refused with INVALID_ARGUMENT) or null.
   */
  public static ServerServiceDefinition refuse(ServerServiceDefinition service,
      Function<Object, String> shape) {
    ServiceDescriptor original = service.getServiceDescriptor();
    ServiceDescriptor.Builder descriptor = ServiceDescriptor.newBuilder(original.getName())
        .setSchemaDescriptor(original.getSchemaDescriptor());
    List<ServerMethodDefinition<InputStream, ?>> methods = new ArrayList<>();
    for (ServerMethodDefinition<?, ?> method : service.getMethods()) {
      ServerMethodDefinition<InputStream, ?> raw = rebind(method, shape);
      methods.add(raw);
      descriptor.addMethod(raw.getMethodDescriptor());
    }
    // A definition's methods must be its descriptor's own instances: build both anew.
    ServerServiceDefinition.Builder rebound = ServerServiceDefinition.builder(descriptor.build());
    methods.forEach(rebound::addMethod);
    return rebound.build();
  }

  private static <ReqT, RespT> ServerMethodDefinition<InputStream, RespT> rebind(
      ServerMethodDefinition<ReqT, RespT> definition, Function<Object, String> shape) {
    MethodDescriptor<ReqT, RespT> typed = definition.getMethodDescriptor();
    MethodDescriptor<InputStream, RespT> raw = typed.toBuilder(Bytes.INSTANCE,
        typed.getResponseMarshaller()).build();
    ServerCallHandler<InputStream, RespT> handler = (call, headers) -> {
      ServerCall<ReqT, RespT> typedCall = new TypedCall<>(call, typed);
      ServerCall.Listener<ReqT> listener =
          definition.getServerCallHandler().startCall(typedCall, headers);
      return new ParsingListener<>(call, typed, shape, listener);
    };
    return ServerMethodDefinition.create(raw, handler);
  }

  /** The call as the service expects to see it: its own method descriptor. */
  private static final class TypedCall<ReqT, RespT> extends
      SimpleForwardingServerCall<ReqT, RespT> {
    private final MethodDescriptor<ReqT, RespT> typed;

    @SuppressWarnings("unchecked")
    TypedCall(ServerCall<InputStream, RespT> call, MethodDescriptor<ReqT, RespT> typed) {
      // Only the request type differs, and a ServerCall never hands out requests itself.
      super((ServerCall<ReqT, RespT>) (ServerCall<?, ?>) call);
      this.typed = typed;
    }

    @Override
    public MethodDescriptor<ReqT, RespT> getMethodDescriptor() {
      return typed;
    }
  }

  /** Parses each request; after a refusal the call is closed and nothing more is delivered. */
  private static final class ParsingListener<ReqT, RespT>
      extends ServerCall.Listener<InputStream> {
    private final ServerCall<InputStream, RespT> call;
    private final MethodDescriptor<ReqT, RespT> typed;
    private final Function<Object, String> shape;
    private final ServerCall.Listener<ReqT> delegate;
    private boolean refused;

    ParsingListener(ServerCall<InputStream, RespT> call, MethodDescriptor<ReqT, RespT> typed,
        Function<Object, String> shape, ServerCall.Listener<ReqT> delegate) {
      this.call = call;
      this.typed = typed;
      this.shape = shape;
      this.delegate = delegate;
    }

    @Override
    public void onMessage(InputStream message) {
      if (refused) {
        return;
      }
      ReqT request;
      try {
        request = parse(typed, message);
      } catch (RuntimeException e) {
        refuse("the request is not a valid " + typed.getFullMethodName() + " request message: "
            + e.getMessage() + (e.getCause() == null ? "" : " (" + e.getCause().getMessage()
            + ")"));
        return;
      }
      String problem = shape.apply(request);
      if (problem != null) {
        refuse(problem);
        return;
      }
      delegate.onMessage(request);
    }

    /** A protobuf request with its bytes fields aliasing its own array (AliasedParsing). */
    @SuppressWarnings("unchecked")
    private static <ReqT> ReqT parse(MethodDescriptor<ReqT, ?> typed, InputStream message) {
      if (typed.getRequestMarshaller() instanceof MethodDescriptor.PrototypeMarshaller<?> proto
          && proto.getMessagePrototype() instanceof MessageLite prototype) {
        return (ReqT) AliasedParsing.parse(prototype.getParserForType(), message);
      }
      return typed.parseRequest(message);
    }

    private void refuse(String description) {
      refused = true;
      call.close(Status.INVALID_ARGUMENT.withDescription(BoundedText.description(description)),
          new Metadata());
      // The service still learns the call ended, as for a client that went away.
      delegate.onCancel();
    }

    @Override
    public void onHalfClose() {
      if (!refused) {
        delegate.onHalfClose();
      }
    }

    @Override
    public void onCancel() {
      if (!refused) {
        delegate.onCancel();
      }
    }

    @Override
    public void onComplete() {
      if (!refused) {
        delegate.onComplete();
      }
    }

    @Override
    public void onReady() {
      if (!refused) {
        delegate.onReady();
      }
    }
  }

  /**
   * Passes the request's stream through untouched; it is parsed within {@code onMessage}, before
   * grpc closes it.
   */
  private enum Bytes implements MethodDescriptor.Marshaller<InputStream> {
    INSTANCE;

    @Override
    public InputStream stream(InputStream value) {
      return value;
    }

    @Override
    public InputStream parse(InputStream stream) {
      return stream;
    }
  }
}
