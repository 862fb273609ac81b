package io.failback.common.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.lang.reflect.Field;
import org.junit.jupiter.api.Test;

class TransportLimitsTest {
  /**
   * The agent's channel gets its fixed HTTP/2 window: the builder the controller targets make
   * is grpc's Netty one (were it another transport's, the window would silently not apply and
   * a failback over a WAN would crawl at the auto-tuned window).
   */
  @Test
  void theAgentsChannelHasItsFixedWindow() throws Exception {
    ManagedChannelBuilder<?> builder = TransportLimits.DEFAULTS.applyToAgentChannel(
        ControllerTargets.channelBuilder("ctl-a:8443,ctl-b:8443",
            InsecureChannelCredentials.create()));
    NettyChannelBuilder netty = assertInstanceOf(NettyChannelBuilder.class, builder);
    assertEquals(128 << 20, field(netty, "flowControlWindow"));
    assertEquals(false, field(netty, "autoFlowControl"));
  }

  @Test
  void zeroLeavesAutoTuningAndAWindowOutOfBoundsIsRefused() throws Exception {
    ManagedChannelBuilder<?> builder = TransportLimits.DEFAULTS.withAgentFlowControlWindow(0)
        .applyToAgentChannel(ControllerTargets.channelBuilder("ctl-a:8443",
            InsecureChannelCredentials.create()));
    assertEquals(true, field(builder, "autoFlowControl"));
    IllegalArgumentException refused = org.junit.jupiter.api.Assertions.assertThrows(
        IllegalArgumentException.class,
        () -> TransportLimits.DEFAULTS.withControllerFlowControlWindow(300 << 20));
    org.junit.jupiter.api.Assertions.assertTrue(refused.getMessage().contains(
        "0 (auto-tuned) or 1 MiB to 256 MiB"), refused.getMessage());
  }

  /**
   * An upload connection pings only while a lane is open and closes five seconds after its
   * last: the controller holds a window per connection, so idle ones must not stay, and the
   * next upload tunes a window of its own.
   */
  @Test
  void anUploadChannelIdlesOutAndDoesNotPingWithoutCalls() throws Exception {
    ManagedChannelBuilder<?> builder = TransportLimits.DEFAULTS.applyToUploadChannel(
        ControllerTargets.channelBuilder("ctl-a:8443", InsecureChannelCredentials.create()));
    assertEquals(false, field(builder, "keepAliveWithoutCalls"));
    assertEquals(128 << 20, field(builder, "flowControlWindow"));
    Object impl = field(builder, "managedChannelImplBuilder");
    Field idle = impl.getClass().getDeclaredField("idleTimeoutMillis");
    idle.setAccessible(true);
    assertEquals(5_000L, idle.get(impl));
    org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> TransportLimits.DEFAULTS.withAgentUploadConnections(17));
    assertEquals(4, TransportLimits.DEFAULTS.agentUploadConnections());
  }

  private static Object field(Object builder, String name) throws Exception {
    Field field = NettyChannelBuilder.class.getDeclaredField(name);
    field.setAccessible(true);
    return field.get(builder);
  }
}
