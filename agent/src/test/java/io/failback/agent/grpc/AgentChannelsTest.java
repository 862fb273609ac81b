package io.failback.agent.grpc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class AgentChannelsTest {
  private final List<ManagedChannel> built = new ArrayList<>();
  /** Channels that never connect: nothing listens on port 1, and no call is made. */
  private final Supplier<ManagedChannel> factory = () -> {
    ManagedChannel channel = ManagedChannelBuilder.forTarget("127.0.0.1:1").usePlaintext()
        .build();
    built.add(channel);
    return channel;
  };

  @AfterEach
  void shutDown() {
    built.forEach(ManagedChannel::shutdownNow);
  }

  @Test
  void eachLaneTakesTheConnectionWithFewestLanesTheFirstSuch() {
    try (AgentChannels channels = AgentChannels.of(factory, factory, 3)) {
      AgentChannels.Lease first = channels.leaseUpload();
      AgentChannels.Lease second = channels.leaseUpload();
      assertArrayEquals(new int[] {1, 1, 0}, channels.openLanes());
      assertNotSame(first.channel(), second.channel());
      assertNotSame(channels.control(), first.channel());
      first.close();
      first.close(); // a lane's link and its stream both release it: once counts
      assertArrayEquals(new int[] {0, 1, 0}, channels.openLanes());
      // The freed first connection, whose window has grown, before the unused third.
      AgentChannels.Lease again = channels.leaseUpload();
      assertSame(first.channel(), again.channel());
      List<AgentChannels.Lease> more = List.of(channels.leaseUpload(), channels.leaseUpload(),
          channels.leaseUpload());
      assertArrayEquals(new int[] {2, 2, 1}, channels.openLanes());
      more.forEach(AgentChannels.Lease::close);
      second.close();
      again.close();
      assertArrayEquals(new int[] {0, 0, 0}, channels.openLanes());
    }
  }

  @Test
  void downloadsAndAgentsWithoutUploadConnectionsUseTheControlChannel() {
    try (AgentChannels channels = AgentChannels.of(factory, factory, 2)) {
      AgentChannels.Lease download = channels.leaseControl();
      assertSame(channels.control(), download.channel());
      download.close();
      assertArrayEquals(new int[] {0, 0}, channels.openLanes());
    }
    try (AgentChannels none = AgentChannels.of(factory, factory, 0)) {
      assertSame(none.control(), none.leaseUpload().channel());
      assertEquals(0, none.openLanes().length);
    }
  }

  @Test
  void renewingBuildsANewChannelForEveryConnectionAndClosingShutsAllDown() {
    try (AgentChannels channels = AgentChannels.of(factory, factory, 2)) {
      assertEquals(3, built.size());
      channels.renew();
      assertEquals(6, built.size(), "control and both upload connections renewed");
    }
    // The retired ones too: calls that were in flight on them end with the agent.
    built.forEach(channel -> assertTrue(channel.isShutdown(), channel + " still open"));
  }
}
