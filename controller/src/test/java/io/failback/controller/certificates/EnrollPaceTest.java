package io.failback.controller.certificates;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Refused enrollments counted per address, with a fake monotonic clock. */
class EnrollPaceTest {
  private final AtomicLong nanos = new AtomicLong();
  private final EnrollPace pace = new EnrollPace(nanos::get);

  @Test
  void tenRefusalsThenOnePerSixSecondsPerAddress() throws Exception {
    for (int i = 0; i < 10; i++) {
      pace.check("/192.0.2.7:5000" + i);
      pace.refused("/192.0.2.7:5000" + i); // the port changes, the address does not
    }
    CertificateException refused = assertThrows(CertificateException.class,
        () -> pace.check("/192.0.2.7:40000"));
    assertEquals(CertificateException.Kind.TOO_OFTEN, refused.kind());
    pace.check("/198.51.100.1:5000"); // another address: its own budget
    pace.check("/[2001:db8::1]:5000");

    nanos.addAndGet(Duration.ofSeconds(5).toNanos());
    assertThrows(CertificateException.class, () -> pace.check("/192.0.2.7:1"));
    nanos.addAndGet(Duration.ofSeconds(1).toNanos());
    pace.check("/192.0.2.7:1"); // one more after six seconds
    pace.refused("/192.0.2.7:1");
    assertThrows(CertificateException.class, () -> pace.check("/192.0.2.7:1"));
  }

  @Test
  void successesCostNothing() throws Exception {
    for (int i = 0; i < 1000; i++) {
      pace.check("/192.0.2.8:1"); // fifty hosts behind one address enroll as they like
    }
  }

  @Test
  void theAddressIsTheRemoteWithoutItsPort() {
    assertEquals("192.0.2.7", EnrollPace.address("/192.0.2.7:50432"));
    assertEquals("[2001:db8::1]", EnrollPace.address("/[2001:db8::1]:50432"));
    assertEquals("unknown", EnrollPace.address("unknown"));
  }
}
