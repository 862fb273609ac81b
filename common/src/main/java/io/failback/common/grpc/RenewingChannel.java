package io.failback.common.grpc;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * A client channel that is replaced by a new one when this process's certificate is renewed.
 *
 * <p>A renewed certificate is only seen in a full TLS handshake. An open connection keeps the
 * certificate it was made with, and a new connection of the same channel may resume its TLS
 * session, which carries the old certificate too; once that certificate is revoked the
 * controller refuses every call made that way. New calls go to the new channel; calls in flight
 * finish on the old one, which is shut down gracefully.
 */
public final class RenewingChannel extends Channel implements AutoCloseable {
  private final Supplier<ManagedChannel> factory;
  private final List<ManagedChannel> retired = new ArrayList<>();
  private volatile ManagedChannel current;

  public RenewingChannel(Supplier<ManagedChannel> factory) {
    this.factory = factory;
    this.current = factory.get();
  }

  /** Sends new calls over a new channel, so over a full handshake. */
  public synchronized void renew() {
    ManagedChannel old = current;
    current = factory.get();
    old.shutdown();
    retired.removeIf(ManagedChannel::isTerminated);
    retired.add(old);
  }

  @Override
  public <ReqT, RespT> ClientCall<ReqT, RespT> newCall(
      MethodDescriptor<ReqT, RespT> method, CallOptions options) {
    return current.newCall(method, options);
  }

  @Override
  public String authority() {
    return current.authority();
  }

  /** Shuts every channel down, waiting up to five seconds for calls in flight. */
  @Override
  public void close() {
    closeAll(List.of(this));
  }

  /**
   * Shuts every channel of {@code channels} down at once, then waits up to five seconds in all
   * for their calls in flight, so that closing several does not wait five seconds for each.
   */
  public static void closeAll(List<RenewingChannel> channels) {
    List<ManagedChannel> all = new ArrayList<>();
    for (RenewingChannel channel : channels) {
      synchronized (channel) {
        all.addAll(channel.retired);
        all.add(channel.current);
      }
    }
    all.forEach(ManagedChannel::shutdown);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    try {
      for (ManagedChannel channel : all) {
        if (!channel.awaitTermination(deadline - System.nanoTime(), TimeUnit.NANOSECONDS)) {
          channel.shutdownNow();
        }
      }
    } catch (InterruptedException e) {
      all.forEach(ManagedChannel::shutdownNow);
      Thread.currentThread().interrupt();
    }
  }
}
