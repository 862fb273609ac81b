package io.failback.agent.grpc;

import io.failback.common.grpc.RenewingChannel;
import io.grpc.Channel;
import io.grpc.ManagedChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * The agent's connections to the controller: one for control and everything else, plus a few
 * for the lanes of uploads (protection and reverse replication), one lane per connection.
 *
 * <p>Why: the controller is the receiver of an upload, and it cannot give every connected
 * agent a large HTTP/2 window (1,000 agents × 64 MiB would be 64 GiB it might have to hold);
 * grpc's auto-tuning grows a connection's window to 8 MiB at most, and every stream of the
 * connection shares it. Over a long link that caps an upload at about 8 MiB per round trip,
 * whatever the lanes (0.26 of a plain stream at 120 ms and 1 Gbit/s). A connection per upload
 * lane gives each lane its own window, so an upload has up to 8 MiB per lane in flight (at
 * 120 ms, 0.86 of the stream at 500 Mbit/s on 2 lanes, 0.79 at 1 Gbit/s on 4), and the
 * controller's worst case grows only with the lanes sending, not with the agents connected:
 * an upload connection closes five seconds after its last call (so that the next upload tunes
 * a window of its own, TransportLimits.UPLOAD_IDLE). Downloads stay on the control
 * connection, whose receiver (this agent) sets its own window.
 */
public final class AgentChannels implements AutoCloseable {
  /** The control connection when this owns it; null when the caller does. */
  private final RenewingChannel ownedControl;
  /** The control connection's channel, owned or not. */
  private final Channel shared;
  private final List<RenewingChannel> uploads;
  private final int[] openLanes;

  private AgentChannels(RenewingChannel ownedControl, Channel shared,
      List<RenewingChannel> uploads) {
    this.ownedControl = ownedControl;
    this.shared = shared;
    this.uploads = uploads;
    this.openLanes = new int[uploads.size()];
  }

  /**
   * Channels from factories: {@code control} for the control connection, {@code upload} for
   * each of {@code uploadConnections} upload connections (built now, connected on first use).
   */
  public static AgentChannels of(Supplier<ManagedChannel> control,
      Supplier<ManagedChannel> upload, int uploadConnections) {
    RenewingChannel controlChannel = new RenewingChannel(control);
    List<RenewingChannel> uploads = new ArrayList<>();
    for (int i = 0; i < uploadConnections; i++) {
      uploads.add(new RenewingChannel(upload));
    }
    return new AgentChannels(controlChannel, controlChannel, List.copyOf(uploads));
  }

  /** Everything over one channel the caller owns (tests, tools): no upload connections. */
  public static AgentChannels sharing(Channel channel) {
    return new AgentChannels(null, channel, List.of());
  }

  /** The control connection's channel. */
  public Channel control() {
    return shared;
  }

  /**
   * A channel for one upload lane, until {@link Lease#close}: the upload connection with the
   * fewest lanes open, the first such, so that the connections whose window has grown are
   * reused; the control channel when there are none.
   */
  public synchronized Lease leaseUpload() {
    if (uploads.isEmpty()) {
      return leaseControl();
    }
    int least = 0;
    for (int i = 1; i < openLanes.length; i++) {
      if (openLanes[i] < openLanes[least]) {
        least = i;
      }
    }
    openLanes[least]++;
    return new Lease(uploads.get(least), least);
  }

  /** The control channel, for a download lane: the agent sets its own receive window. */
  public Lease leaseControl() {
    return new Lease(shared, -1);
  }

  private synchronized void release(int index) {
    if (index >= 0) {
      openLanes[index]--;
    }
  }

  /** Lanes open on the upload connections, all together (a metric). */
  public synchronized int openUploadLanes() {
    return java.util.Arrays.stream(openLanes).sum();
  }

  /** How many upload connections there are, open or not. */
  public int uploadConnections() {
    return uploads.size();
  }

  /** Lanes open on each upload connection, in order (tests). */
  synchronized int[] openLanes() {
    return openLanes.clone();
  }

  /** Moves new calls of every connection to a new one, so to a full TLS handshake. */
  public void renew() {
    if (ownedControl != null) {
      ownedControl.renew();
    }
    uploads.forEach(RenewingChannel::renew);
  }

  /** Closes every connection, waiting up to five seconds in all for calls in flight. */
  @Override
  public void close() {
    List<RenewingChannel> all = new ArrayList<>(uploads);
    if (ownedControl != null) {
      all.add(ownedControl);
    }
    RenewingChannel.closeAll(all);
  }

  /** One lane's use of an upload connection. */
  public final class Lease implements AutoCloseable {
    private final Channel channel;
    private final int index;
    private boolean released;

    private Lease(Channel channel, int index) {
      this.channel = channel;
      this.index = index;
    }

    public Channel channel() {
      return channel;
    }

    @Override
    public void close() {
      synchronized (AgentChannels.this) {
        if (!released) {
          released = true;
          release(index);
        }
      }
    }
  }
}
