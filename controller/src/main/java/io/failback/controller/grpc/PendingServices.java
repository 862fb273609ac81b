package io.failback.controller.grpc;

import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;

/**
 * Serves every method of a contract service that this controller version does not offer yet
 * with {@code UNIMPLEMENTED} and a description saying so, rather than grpc's bare default.
 */
public final class PendingServices {
  private PendingServices() {}

  /** A definition answering every method of {@code service} with {@code UNIMPLEMENTED}. */
  public static ServerServiceDefinition of(ServiceDescriptor service, String reason) {
    ServerServiceDefinition.Builder builder = ServerServiceDefinition.builder(service);
    for (MethodDescriptor<?, ?> method : service.getMethods()) {
      addRefusal(builder, method, reason);
    }
    return builder.build();
  }

  private static <ReqT, RespT> void addRefusal(ServerServiceDefinition.Builder builder,
      MethodDescriptor<ReqT, RespT> method, String reason) {
    ServerCallHandler<ReqT, RespT> handler = (ServerCall<ReqT, RespT> call, Metadata headers) -> {
      call.close(Status.UNIMPLEMENTED.withDescription(
          method.getFullMethodName() + " is not available in this controller version: " + reason),
          new Metadata());
      return new ServerCall.Listener<>() {};
    };
    builder.addMethod(method, handler);
  }
}
