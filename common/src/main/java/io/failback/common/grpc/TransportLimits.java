package io.failback.common.grpc;

import static com.google.common.base.Preconditions.checkArgument;

import io.grpc.ManagedChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
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
 * @param controllerFlowControlWindowBytes the fixed HTTP/2 window of each agent's connection at
 *     the controller (what an agent may have in flight towards it: protection, replication);
 *     0 for grpc's auto-tuning (1 MiB, growing to at most 8 MiB)
 * @param agentFlowControlWindowBytes the fixed HTTP/2 window of an agent's connection at the
 *     agent (what the controller may have in flight towards it: failbacks); 0 for auto-tuning
 * @param agentUploadConnections connections an agent opens beside its control connection for
 *     the lanes of its uploads, a lane per connection; 0 sends them over the control connection
 */
public record TransportLimits(Duration agentKeepAlive, Duration permitKeepAlive,
    int maxConcurrentCallsPerConnection, int maxInboundMessageBytes,
    int maxInboundMetadataBytes, int maxOperatorInboundMessageBytes,
    int controllerFlowControlWindowBytes, int agentFlowControlWindowBytes,
    int agentUploadConnections) {

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

  /**
   * The HTTP/2 window of an agent's connection, fixed (no auto-tuning): what the controller may
   * have in flight towards the agent, all lanes of all disks together. A failback moves data
   * that way; over a WAN it needs twice the link's bandwidth-delay product: grpc sends a window
   * update once half the window is used, so a rate needs window / 2 per round trip (3 Gbit/s
   * at 120 ms is 45 MB). grpc's auto-tuning stops at 8 MiB and on a connection that first saw
   * a short path stays near 2 MiB (262 Mbit/s at 60 ms measured). 128 MiB carries 3 Gbit/s at
   * 120 ms at 0.88–0.89 of a plain TCP stream through the WAN relay, where 64 MiB gave
   * 0.65–0.69 (it tops out near 2.2 Gbit/s there). The agent pays for it only while its disks
   * fall behind the link: at most this much is buffered per host.
   */
  public static final int AGENT_FLOW_CONTROL_WINDOW = 128 << 20;

  /**
   * Upload connections per agent. The controller's window of a connection is auto-tuned to at
   * most 8 MiB, which all its streams share: about 8 MiB per round trip, 0.26 of a plain
   * stream at 120 ms and 1 Gbit/s. A lane per connection gives each lane its own; four cover
   * the lanes of two disks at the default two lanes each. The controller's cost grows with the
   * lanes sending, not with the agents connected: an idle upload connection closes after
   * {@link #UPLOAD_IDLE}, and an auto-tuned window follows what its connection moves per
   * round trip.
   */
  public static final int AGENT_UPLOAD_CONNECTIONS = 4;
  /** Most upload connections an agent may be told to open. */
  public static final int MAX_AGENT_UPLOAD_CONNECTIONS = 16;
  /**
   * An upload connection without calls for this long is closed. Short, so that an upload
   * starts on a connection of its own unless it follows another at once (a job's next pass):
   * grpc grows a connection's window only on a new bandwidth high, so a connection that
   * carried an upload over a short, fast path keeps the small window it tuned there when the
   * path gets long (0.32 of a plain stream at 120 ms and 1 Gbit/s, where a fresh one ran 0.95).
   * A new connection costs a TLS handshake and a few round trips of window growth.
   */
  public static final Duration UPLOAD_IDLE = Duration.ofSeconds(5);

  public static final TransportLimits DEFAULTS = new TransportLimits(AGENT_KEEPALIVE,
      PERMIT_KEEPALIVE, MAX_CONCURRENT_CALLS_PER_CONNECTION, MAX_INBOUND_MESSAGE_BYTES,
      MAX_INBOUND_METADATA_BYTES, MAX_OPERATOR_INBOUND_MESSAGE_BYTES, 0,
      AGENT_FLOW_CONTROL_WINDOW, AGENT_UPLOAD_CONNECTIONS);

  public TransportLimits {
    checkArgument(permitKeepAlive.compareTo(agentKeepAlive) <= 0,
        "the controller must permit pings at least as often as agents send them: permit %s,"
            + " agent %s", permitKeepAlive, agentKeepAlive);
    checkArgument(maxConcurrentCallsPerConnection > 0 && maxInboundMessageBytes > 0
        && maxInboundMetadataBytes > 0 && maxOperatorInboundMessageBytes > 0,
        "limits must be positive");
    checkArgument(windowAllowed(controllerFlowControlWindowBytes),
        "the controller's window must be 0 (auto-tuned) or 1 MiB to 256 MiB, got %s bytes",
        controllerFlowControlWindowBytes);
    checkArgument(windowAllowed(agentFlowControlWindowBytes),
        "the agent's window must be 0 (auto-tuned) or 1 MiB to 256 MiB, got %s bytes",
        agentFlowControlWindowBytes);
    checkArgument(uploadConnectionsAllowed(agentUploadConnections),
        "upload connections must be 0 to %s, got %s", MAX_AGENT_UPLOAD_CONNECTIONS,
        agentUploadConnections);
  }

  /** Whether an agent may be told to open {@code connections} upload connections. */
  public static boolean uploadConnectionsAllowed(int connections) {
    return connections >= 0 && connections <= MAX_AGENT_UPLOAD_CONNECTIONS;
  }

  /** Whether {@code bytes} is a window these limits take: 0 (auto-tuned) or 1 to 256 MiB. */
  public static boolean windowAllowed(long bytes) {
    return bytes == 0 || bytes >= 1 << 20 && bytes <= 256 << 20;
  }

  /** The same limits with other keepalive intervals (tests compress time with them). */
  public TransportLimits withKeepAlive(Duration agent, Duration permit) {
    return new TransportLimits(agent, permit, maxConcurrentCallsPerConnection,
        maxInboundMessageBytes, maxInboundMetadataBytes, maxOperatorInboundMessageBytes,
        controllerFlowControlWindowBytes, agentFlowControlWindowBytes, agentUploadConnections);
  }

  /** The same limits with another stream limit per connection. */
  public TransportLimits withMaxConcurrentCallsPerConnection(int calls) {
    return new TransportLimits(agentKeepAlive, permitKeepAlive, calls, maxInboundMessageBytes,
        maxInboundMetadataBytes, maxOperatorInboundMessageBytes,
        controllerFlowControlWindowBytes, agentFlowControlWindowBytes, agentUploadConnections);
  }

  /** The same limits with a fixed window at the controller ({@code 0}: auto-tuned). */
  public TransportLimits withControllerFlowControlWindow(int bytes) {
    return new TransportLimits(agentKeepAlive, permitKeepAlive, maxConcurrentCallsPerConnection,
        maxInboundMessageBytes, maxInboundMetadataBytes, maxOperatorInboundMessageBytes, bytes,
        agentFlowControlWindowBytes, agentUploadConnections);
  }

  /** The same limits with another fixed window at the agent ({@code 0}: auto-tuned). */
  public TransportLimits withAgentFlowControlWindow(int bytes) {
    return new TransportLimits(agentKeepAlive, permitKeepAlive, maxConcurrentCallsPerConnection,
        maxInboundMessageBytes, maxInboundMetadataBytes, maxOperatorInboundMessageBytes,
        controllerFlowControlWindowBytes, bytes, agentUploadConnections);
  }

  /** Applies the controller's side: stream and size limits, and the keepalive it permits. */
  public NettyServerBuilder applyToServer(NettyServerBuilder builder) {
    if (controllerFlowControlWindowBytes > 0) {
      builder.flowControlWindow(controllerFlowControlWindowBytes);
    }
    return builder
        .maxConcurrentCallsPerConnection(maxConcurrentCallsPerConnection)
        .maxInboundMessageSize(maxInboundMessageBytes)
        .maxInboundMetadataSize(maxInboundMetadataBytes)
        .permitKeepAliveTime(permitKeepAlive.toNanos(), TimeUnit.NANOSECONDS)
        .permitKeepAliveWithoutCalls(true);
  }

  /** Applies an agent's side: size limits, its HTTP/2 window and its keepalive pings. */
  public ManagedChannelBuilder<?> applyToAgentChannel(ManagedChannelBuilder<?> builder) {
    if (agentFlowControlWindowBytes > 0 && builder instanceof NettyChannelBuilder netty) {
      netty.flowControlWindow(agentFlowControlWindowBytes);
    }
    return builder
        .maxInboundMessageSize(maxInboundMessageBytes)
        .maxInboundMetadataSize(maxInboundMetadataBytes)
        .keepAliveTime(agentKeepAlive.toNanos(), TimeUnit.NANOSECONDS)
        .keepAliveWithoutCalls(true);
  }

  /** The same limits with another number of upload connections per agent. */
  public TransportLimits withAgentUploadConnections(int connections) {
    return new TransportLimits(agentKeepAlive, permitKeepAlive, maxConcurrentCallsPerConnection,
        maxInboundMessageBytes, maxInboundMetadataBytes, maxOperatorInboundMessageBytes,
        controllerFlowControlWindowBytes, agentFlowControlWindowBytes, connections);
  }

  /**
   * Applies an agent's upload connection's side: as {@link #applyToAgentChannel}, but it
   * pings only while a lane is open and closes after {@link #UPLOAD_IDLE} without one.
   */
  public ManagedChannelBuilder<?> applyToUploadChannel(ManagedChannelBuilder<?> builder) {
    return applyToAgentChannel(builder)
        .keepAliveWithoutCalls(false)
        .idleTimeout(UPLOAD_IDLE.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Applies the operator CLI's side: size limits; no keepalive, its calls are short. */
  public ManagedChannelBuilder<?> applyToOperatorChannel(ManagedChannelBuilder<?> builder) {
    return builder
        .maxInboundMessageSize(maxOperatorInboundMessageBytes)
        .maxInboundMetadataSize(maxInboundMetadataBytes);
  }
}
