package io.failback.common.grpc;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ClientStreamTracer;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import java.util.function.Function;

/**
 * A tracer for each attempt of a call: what a client sees of retries (each attempt's number,
 * trailers and status), which the call's own listener does not.
 */
public final class AttemptTracing {
  private AttemptTracing() {}

  /** Makes {@code tracer} of each attempt's info. */
  public static ClientStreamTracer.Factory factory(
      Function<ClientStreamTracer.StreamInfo, ClientStreamTracer> tracer) {
    return new ClientStreamTracer.Factory() {
      @Override
      public ClientStreamTracer newClientStreamTracer(ClientStreamTracer.StreamInfo info,
          Metadata headers) {
        return tracer.apply(info);
      }
    };
  }

  /** An interceptor that gives every attempt of every call a tracer of {@code tracer}. */
  public static ClientInterceptor interceptor(
      Function<ClientStreamTracer.StreamInfo, ClientStreamTracer> tracer) {
    ClientStreamTracer.Factory factory = factory(tracer);
    return new ClientInterceptor() {
      @Override
      public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method,
          CallOptions options, Channel next) {
        return next.newCall(method, options.withStreamTracerFactory(factory));
      }
    };
  }
}
