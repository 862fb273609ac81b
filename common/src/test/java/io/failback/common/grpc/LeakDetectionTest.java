package io.failback.common.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class LeakDetectionTest {
  private final String before = System.getProperty(LeakDetection.LEVEL);

  @AfterEach
  void restore() {
    if (before == null) {
      System.clearProperty(LeakDetection.LEVEL);
    } else {
      System.setProperty(LeakDetection.LEVEL, before);
    }
  }

  @Test
  void offWhenNobodySetIt() {
    System.clearProperty(LeakDetection.LEVEL);
    LeakDetection.offUnlessSet();
    assertEquals("disabled", System.getProperty(LeakDetection.LEVEL));
  }

  @Test
  void anOperatorsLevelIsKept() {
    System.setProperty(LeakDetection.LEVEL, "paranoid");
    LeakDetection.offUnlessSet();
    assertEquals("paranoid", System.getProperty(LeakDetection.LEVEL));
  }

  @Test
  void thePropertyIsTheOneTheShadedNettyReads() throws Exception {
    // grpc-netty-shaded relocates Netty's property names with its classes: a name that does not
    // appear in its leak detector would be set and silently ignored.
    try (InputStream in = LeakDetection.class.getClassLoader().getResourceAsStream(
        "io/grpc/netty/shaded/io/netty/util/ResourceLeakDetector.class")) {
      assertNotNull(in, "grpc-netty-shaded's leak detector is not on the class path");
      String constants = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
      assertTrue(constants.contains(LeakDetection.LEVEL), LeakDetection.LEVEL);
    }
  }
}
