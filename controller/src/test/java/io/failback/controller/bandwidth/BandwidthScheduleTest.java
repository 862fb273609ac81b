package io.failback.controller.bandwidth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class BandwidthScheduleTest {
  // 2026-12-07 is a Monday.
  private static ZonedDateTime at(int day, int hour, int minute) {
    return ZonedDateTime.of(2026, 12, day, hour, minute, 0, 0, ZoneOffset.UTC);
  }

  @Test
  void ratesInBitsAndBytes() {
    assertEquals(OptionalLong.of(12_500_000), Rates.parse("100Mbit/s"));
    assertEquals(OptionalLong.of(12_500_000), Rates.parse("100 mbps"));
    assertEquals(OptionalLong.of(187_500_000), Rates.parse("1.5Gbit"));
    assertEquals(OptionalLong.of(40L * 1024 * 1024), Rates.parse("40MiB/s"));
    assertEquals(OptionalLong.of(62_500), Rates.parse("500kbit/s"));
    assertEquals(OptionalLong.empty(), Rates.parse("Unlimited"));
    assertEquals("100 Mbit/s", Rates.format(12_500_000));
    assertEquals("1.5 Gbit/s", Rates.format(187_500_000));
    assertEquals("500 kbit/s", Rates.format(62_500));
  }

  @Test
  void badRatesSayWhatIsWrong() {
    assertTrue(assertThrows(IllegalArgumentException.class, () -> Rates.parse("fast"))
        .getMessage().contains("'fast' is not a rate"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> Rates.parse("100furlongs"))
        .getMessage().contains("is not a rate"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> Rates.parse("10kbit/s"))
        .getMessage().contains("outside 256 kbit/s to 100 Gbit/s"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> Rates.parse("0Mbit/s"))
        .getMessage().contains("outside"));
  }

  @Test
  void aConstantHoldsAlways() {
    BandwidthSchedule schedule = BandwidthSchedule.parse("100Mbit/s");
    assertEquals(new BandwidthSchedule.Effective(OptionalLong.of(12_500_000), "always"),
        schedule.at(at(7, 3, 0)));
  }

  @Test
  void windowsByDayAndTimeThenTheRest() {
    BandwidthSchedule schedule = BandwidthSchedule.parse(
        "Mon-Fri 08:00-18:00=100Mbit/s, Sat 22:00-06:00=1Gbit/s, unlimited");
    BandwidthSchedule.Effective workday = schedule.at(at(7, 8, 0));
    assertEquals(OptionalLong.of(12_500_000), workday.bytesPerSecond());
    assertEquals("Mon-Fri 08:00-18:00", workday.because());
    assertEquals(OptionalLong.empty(), schedule.at(at(7, 18, 0)).bytesPerSecond());
    assertEquals("outside its windows", schedule.at(at(7, 7, 59)).because());
    assertEquals(OptionalLong.of(12_500_000), schedule.at(at(11, 17, 59)).bytesPerSecond());
    // Saturday 12th 10:00 is in no window; the Saturday night window runs into Sunday.
    assertEquals(OptionalLong.empty(), schedule.at(at(12, 10, 0)).bytesPerSecond());
    assertEquals(OptionalLong.of(125_000_000), schedule.at(at(12, 23, 0)).bytesPerSecond());
    assertEquals(OptionalLong.of(125_000_000), schedule.at(at(13, 5, 59)).bytesPerSecond());
    assertEquals(OptionalLong.empty(), schedule.at(at(13, 6, 0)).bytesPerSecond());
    // Friday night is not Saturday's window.
    assertEquals(OptionalLong.empty(), schedule.at(at(11, 23, 0)).bytesPerSecond());
  }

  @Test
  void aWeekRangeMayWrapAndAWindowMayEndAtMidnight() {
    BandwidthSchedule schedule = BandwidthSchedule.parse("Sat-Sun 12:00-24:00=200Mbit/s");
    assertEquals(OptionalLong.of(25_000_000), schedule.at(at(13, 23, 59)).bytesPerSecond());
    assertEquals(OptionalLong.empty(), schedule.at(at(14, 0, 0)).bytesPerSecond());
    BandwidthSchedule wrapped = BandwidthSchedule.parse("Fri-Mon 00:00-06:00=200Mbit/s");
    assertEquals(OptionalLong.of(25_000_000), wrapped.at(at(14, 1, 0)).bytesPerSecond());
    assertEquals(OptionalLong.empty(), wrapped.at(at(15, 1, 0)).bytesPerSecond());
  }

  @Test
  void badSchedulesNameThePart() {
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> BandwidthSchedule.parse(" ")).getMessage().contains("empty"));
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> BandwidthSchedule.parse("Mon-Fri 08:00-25:00=100Mbit/s")).getMessage()
        .contains("25:00 is not a time of day"));
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> BandwidthSchedule.parse("Mon-Fro 08:00-18:00=100Mbit/s")).getMessage()
        .contains("'Fro' is not a day"));
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> BandwidthSchedule.parse("08:00-08:00=100Mbit/s")).getMessage()
        .contains("starts where it ends"));
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> BandwidthSchedule.parse("08:00-18:00=lots")).getMessage()
        .contains("'08:00-18:00=lots': 'lots' is not a rate"));
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> BandwidthSchedule.parse("100Mbit/s, unlimited")).getMessage()
        .contains("one rate without a window"));
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> BandwidthSchedule.parse("at night=1Gbit/s")).getMessage()
        .contains("neither a window"));
  }
}
