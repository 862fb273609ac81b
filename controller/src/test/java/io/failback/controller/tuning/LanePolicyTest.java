package io.failback.controller.tuning;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** An upload gets the lanes that keep rate × round trip in flight, 4 MiB each. */
class LanePolicyTest {
  private static int lanes(long rttMillis, OptionalLong limit, int disks) {
    return LanePolicy.forUpload("hv-01", Optional.of(Duration.ofMillis(rttMillis)), limit,
        disks).lanes();
  }

  @Test
  void lanesFollowTheRoundTripAtThePlannedRate() {
    OptionalLong none = OptionalLong.empty();
    // 1 Gbit/s: 125 MB per second in flight; 4 MiB per lane.
    assertEquals(2, lanes(0, none, 1), "loopback keeps the default");
    assertEquals(2, lanes(20, none, 1));
    assertEquals(2, lanes(60, none, 1), "7.5 MB: two lanes");
    assertEquals(3, lanes(70, none, 1), "8.75 MB: three");
    assertEquals(4, lanes(120, none, 1), "15 MB: four (measured: 0.79 of the stream)");
    assertEquals(6, lanes(200, none, 1));
    assertEquals(LanePolicy.MAX_CHOSEN_LANES, lanes(1000, none, 1), "at most eight");
  }

  @Test
  void aBandwidthLimitAndMoreDisksNeedFewerLanesPerDisk() {
    // 100 Mbit/s at 120 ms: 1.5 MB in flight, one lane's worth; never fewer than two.
    assertEquals(2, lanes(120, OptionalLong.of(12_500_000), 1));
    // A limit above the planned rate plans for the planned rate.
    assertEquals(4, lanes(120, OptionalLong.of(1_250_000_000), 1));
    // Two disks move at once over the same link: they share what is in flight.
    assertEquals(3, lanes(200, OptionalLong.empty(), 2));
    assertEquals(2, lanes(120, OptionalLong.empty(), 2));
  }

  @Test
  void saysWhyAndKeepsTheDefaultBeforeAnythingIsMeasured() {
    LanePolicy.Choice unknown = LanePolicy.forUpload("hv-01", Optional.empty(),
        OptionalLong.empty(), 1);
    assertEquals(new LanePolicy.Choice(2, "no round trip measured with host hv-01 yet"),
        unknown);
    assertEquals("round trip 120.0 ms with host hv-01 at a planned 1.00 Gbit/s: 14.3 MiB in"
        + " flight, 4 MiB per upload lane, 1 disk", LanePolicy.forUpload("hv-01",
            Optional.of(Duration.ofMillis(120)), OptionalLong.empty(), 1).because());
    assertEquals("round trip 120.0 ms with host hv-01 at the bandwidth limit's 100 Mbit/s:"
        + " 1.4 MiB in flight, 4 MiB per upload lane, 2 disks", LanePolicy.forUpload("hv-01",
            Optional.of(Duration.ofMillis(120)), OptionalLong.of(12_500_000), 2).because());
  }
}
