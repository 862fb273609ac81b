package io.failback.common.text;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class ByteTextTest {
  @Test
  void bytesStayWholeAndLargerCountsTakeTheLargestUnitAtLeastOne() {
    assertEquals("0 B", ByteText.human(0));
    assertEquals("1023 B", ByteText.human(1023));
    assertEquals("1.0 KiB", ByteText.human(1024));
    assertEquals("48.9 KiB", ByteText.human(50_074));
    assertEquals("1000.5 MiB", ByteText.human(1_049_100_288));
    assertEquals("1.0 GiB", ByteText.human(1L << 30));
    assertEquals("8.0 EiB", ByteText.human(Long.MAX_VALUE));
  }
}
