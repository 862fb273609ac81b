package io.failback.common.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class DurationTextTest {

  @Test
  void parsesTheShortFormAndIso8601() {
    assertEquals(Duration.ofSeconds(90), DurationText.parse("-", "90s"));
    assertEquals(Duration.ofMinutes(90), DurationText.parse("-", "1h30m"));
    assertEquals(Duration.ofHours(2), DurationText.parse("-", "2H"));
    assertEquals(Duration.ZERO, DurationText.parse("-", "0s"));
    assertEquals(Duration.ofMinutes(-5), DurationText.parse("-", "PT-5M"));
  }

  @Test
  void refusesWhatIsNotADurationNamingTheOption() {
    for (String text : List.of("", "5", "m", "5 m", "1s1h", "soon", "99999999999999999999h")) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> DurationText.parse("--delay-after 1=" + text, text));
      assertEquals("--delay-after 1=" + text + ": '" + text + "' is not a duration; write it"
          + " like 90s, 5m, 1h30m or PT5M", e.getMessage());
    }
  }

  @Test
  void formatsAsItParses() {
    assertEquals("0s", DurationText.format(Duration.ZERO));
    assertEquals("1h30m", DurationText.format(Duration.ofMinutes(90)));
    assertEquals("24h", DurationText.format(Duration.ofHours(24)));
    assertEquals("1m0.25s", DurationText.format(Duration.ofMillis(60_250)));
    assertEquals("45s", DurationText.format(Duration.ofSeconds(45)));
    assertEquals("-5m", DurationText.format(Duration.ofMinutes(-5)));
  }
}
