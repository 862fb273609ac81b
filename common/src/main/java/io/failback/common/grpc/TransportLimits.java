package io.failback.common.grpc;

import static com.google.common.base.Preconditions.checkArgument;

import io.grpc.ManagedChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The HTTP/2 limits and keepalive policy of the controller's port and of the channels that
 * dial it, chosen together so that neither side refuses what the other legitimately does.
 *
 * <p>Keepalive: the agent pings after {@code agentKeepAlive} without hearing from the
 * controller; the controller accepts pings as often as every {@code permitKeepAlive}, which
 * must not exceed the agent's interval, or the controller answers {@code GOAWAY
 * ENHANCE_YOUR_CALM} ("too_many_pings") and the connection, with every sync stream on it, is
 * closed. Both sides allow pings without calls: an agent's connection is meant to stay.
 *
 * @param agentKeepAlive how long an agent's channel may hear nothing before it pings
 * @param permitKeepAlive the shortest ping interval the controller accepts
 * @param maxConcurrentCallsPerConnection streams one connection may have open at the
 *     controller (HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS); a client queues calls beyond it
 * @param maxInboundMessageBytes the largest message the controller or an agent accepts
 * @param maxInboundMetadataBytes the largest header or trailer block accepted, both sides
 * @param maxOperatorInboundMessageBytes the largest answer the operator CLI accepts (whole
 *     inventories and job lists)
 */
public record TransportLimits(Duration agentKeepAlive, Duration permitKeepAlive,
    int maxConcurrentCallsPerConnection, int maxInboundMessageBytes,
    int maxInboundMetadataBytes, int maxOperatorInboundMessageBytes) {

  /** The agent pings after 30 s of silence; the controller accepts one every 15 s. */
  public static final Duration AGENT_KEEPALIVE = Duration.ofSeconds(30);
  /** Half the agent's interval: jitter on the way must not make a ping look early. */
  public static final Duration PERMIT_KEEPALIVE = AGENT_KEEPALIVE.dividedBy(2);
  /**
   * An agent opens one control stream and two streams per disk being synced; a thousand
   * covers a recovery plan of hundreds of disks on one host, and bounds what one peer can make
   * the controller hold.
   */
  public static final int MAX_CONCURRENT_CALLS_PER_CONNECTION = 1000;
  /** A sync frame carries one 64 KiB block, or at most 65,536 digests (2 MiB). */
  public static final int MAX_INBOUND_MESSAGE_BYTES = 4 << 20;
  /** grpc's own default, written down: requests carry a few short headers. */
  public static final int MAX_INBOUND_METADATA_BYTES = 8 << 10;
  /** The CLI trusts the controller it dials and reads whole inventories from it. */
  public static final int MAX_OPERATOR_INBOUND_MESSAGE_BYTES = 64 << 20;

  public static final TransportLimits DEFAULTS = new TransportLimits(AGENT_KEEPALIVE,
      PERMIT_KEEPALIVE, MAX_CONCURRENT_CALLS_PER_CONNECTION, MAX_INBOUND_MESSAGE_BYTES,
      MAX_INBOUND_METADATA_BYTES, MAX_OPERATOR_INBOUND_MESSAGE_BYTES);

  public TransportLimits {
    checkArgument(permitKeepAlive.compareTo(agentKeepAlive) <= 0,
        "the controller must permit pings at least as often as agents send them: permit %s,"
            + " agent %s", permitKeepAlive, agentKeepAlive);
    checkArgument(maxConcurrentCallsPerConnection > 0 && maxInboundMessageBytes > 0
        && maxInboundMetadataBytes > 0 && maxOperatorInboundMessageBytes > 0,
        "limits must be positive");
  }

  /** The same limits with other keepalive intervals (tests compress time with them). */
  public TransportLimits withKeepAlive(Duration agent, Duration permit) {
    return new TransportLimits(agent, permit, maxConcurrentCallsPerConnection,
        maxInboundMessageBytes, maxInboundMetadataBytes, maxOperatorInboundMessageBytes);
  }

  /** The same limits with another stream limit per connection. */
  public TransportLimits withMaxConcurrentCallsPerConnection(int calls) {
    return new TransportLimits(agentKeepAlive, permitKeepAlive, calls, maxInboundMessageBytes,
        maxInboundMetadataBytes, maxOperatorInboundMessageBytes);
  }

  /** Applies the controller's side: stream and size limits, and the keepalive it permits. */
  public NettyServerBuilder applyToServer(NettyServerBuilder builder) {
    return builder
        .maxConcurrentCallsPerConnection(maxConcurrentCallsPerConnection)
        .maxInboundMessageSize(maxInboundMessageBytes)
        .maxInboundMetadataSize(maxInboundMetadataBytes)
        .permitKeepAliveTime(permitKeepAlive.toNanos(), TimeUnit.NANOSECONDS)
        .permitKeepAliveWithoutCalls(true);
  }

  /** Applies an agent's side: size limits and its keepalive pings. */
  public ManagedChannelBuilder<?> applyToAgentChannel(ManagedChannelBuilder<?> builder) {
    return builder
        .maxInboundMessageSize(maxInboundMessageBytes)
        .maxInboundMetadataSize(maxInboundMetadataBytes)
        .keepAliveTime(agentKeepAlive.toNanos(), TimeUnit.NANOSECONDS)
        .keepAliveWithoutCalls(true);
  }

  /** Applies the operator CLI's side: size limits; no keepalive, its calls are short. */
  public ManagedChannelBuilder<?> applyToOperatorChannel(ManagedChannelBuilder<?> builder) {
    return builder
        .maxInboundMessageSize(maxOperatorInboundMessageBytes)
        .maxInboundMetadataSize(maxInboundMetadataBytes);
  }
}
