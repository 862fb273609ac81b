package io.failback.controller.agents;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.proto.v1.ControllerMessage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Round trips are probes answered on the stream they went out on; the least recent one wins. */
class RoundTripsTest {
  private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
  private final RoundTrips trips = new RoundTrips(nanos::get);

  /** Keeps the probes sent to it. */
  static final class Stream implements AgentConnection {
    final boolean answers;
    final List<Long> probes = new ArrayList<>();

    Stream(boolean answers) {
      this.answers = answers;
    }

    @Override
    public void send(ControllerMessage message) {
      probes.add(message.getRoundTrip().getProbe());
    }

    @Override
    public void close(String reason) {}

    @Override
    public boolean answersRoundTrips() {
      return answers;
    }

    long last() {
      return probes.get(probes.size() - 1);
    }
  }

  private long answerAfter(String host, Stream stream, long millis) {
    trips.probe(host, stream);
    nanos.addAndGet(millis * 1_000_000);
    assertTrue(trips.answered(host, stream, stream.last()));
    return stream.last();
  }

  @Test
  void theLeastOfTheLastAnswersIsTheRoundTrip() {
    Stream stream = new Stream(true);
    trips.restart("hv-01", stream);
    assertEquals(Optional.empty(), trips.least("hv-01"), "nothing answered yet");
    answerAfter("hv-01", stream, 130);
    answerAfter("hv-01", stream, 121);
    assertEquals(Optional.empty(), trips.least("hv-01"), "fewer than FIRST_ANSWERS answers");
    // A probe queued behind a download measures the queue: it does not raise the least.
    answerAfter("hv-01", stream, 900);
    assertEquals(Optional.of(Duration.ofMillis(121)), trips.least("hv-01"));
    assertEquals(Optional.empty(), trips.least("hv-02"), "another host measured nothing");

    // The least ages out after SAMPLES newer answers: a path that got longer shows.
    for (int i = 0; i < RoundTrips.SAMPLES; i++) {
      answerAfter("hv-01", stream, 200 + i);
    }
    assertEquals(Optional.of(Duration.ofMillis(200)), trips.least("hv-01"));
  }

  @Test
  void echoesOfProbesNotWaitingOnThatStreamCountForNothing() {
    Stream stream = new Stream(true);
    trips.restart("hv-01", stream);
    trips.probe("hv-01", stream);
    long probe = stream.last();
    nanos.addAndGet(50_000_000);
    assertFalse(trips.answered("hv-01", stream, probe + 1), "never sent");
    assertFalse(trips.answered("hv-02", stream, probe), "sent to another host");
    Stream other = new Stream(true);
    assertFalse(trips.answered("hv-01", other, probe), "answered on another stream");
    assertEquals(Optional.empty(), trips.least("hv-01"));
    assertTrue(trips.answered("hv-01", stream, probe));
    nanos.addAndGet(-40_000_000);
    assertFalse(trips.answered("hv-01", stream, probe), "answered twice");
    // The next two went out by themselves, each at the last one's echo.
    nanos.addAndGet(40_000_000 + 60_000_000);
    assertTrue(trips.answered("hv-01", stream, stream.last()));
    nanos.addAndGet(70_000_000);
    assertTrue(trips.answered("hv-01", stream, stream.last()));
    assertEquals(Optional.of(Duration.ofMillis(50)), trips.least("hv-01"));

    // Only the last OUTSTANDING probes wait: an echo of an older one is ignored.
    for (int i = 0; i <= RoundTrips.OUTSTANDING; i++) {
      trips.probe("hv-01", stream);
    }
    long forgotten = stream.probes.get(1);
    nanos.addAndGet(1_000_000);
    assertFalse(trips.answered("hv-01", stream, forgotten));
    assertTrue(trips.answered("hv-01", stream, stream.last()));
    assertEquals(Optional.of(Duration.ofMillis(1)), trips.least("hv-01"));
  }

  @Test
  void theSameStreamRegisteringAgainKeepsWhatItMeasured() {
    Stream stream = new Stream(true);
    trips.restart("hv-01", stream);
    answerAfter("hv-01", stream, 40);
    answerAfter("hv-01", stream, 30);
    answerAfter("hv-01", stream, 35);
    trips.restart("hv-01", stream);
    assertEquals(Optional.of(Duration.ofMillis(30)), trips.least("hv-01"),
        "a new inventory on the same stream is not a new path");
  }

  @Test
  void aNewStreamStartsAfreshAndTheOldOnesEchoesAreIgnored() {
    Stream first = new Stream(true);
    trips.restart("hv-01", first);
    answerAfter("hv-01", first, 5);
    trips.probe("hv-01", first);
    Stream second = new Stream(true);
    trips.restart("hv-01", second);
    assertEquals(Optional.empty(), trips.least("hv-01"), "the new path is not measured yet");
    assertFalse(trips.answered("hv-01", first, first.last()));
    trips.probe("hv-01", first);
    assertEquals(3, first.probes.size(), "a replaced stream is not probed");
    answerAfter("hv-01", second, 120);
    answerAfter("hv-01", second, 125);
    answerAfter("hv-01", second, 130);
    assertEquals(Optional.of(Duration.ofMillis(120)), trips.least("hv-01"));
  }

  /**
   * A new stream's first answers come back to back, and one taken while a JVM was busy
   * starting does not decide: the least of FIRST_ANSWERS does.
   */
  @Test
  void aNewStreamIsProbedBackToBackUntilItsFirstAnswersAreIn() {
    Stream stream = new Stream(true);
    trips.restart("hv-01", stream);
    trips.probe("hv-01", stream);
    nanos.addAndGet(85_000_000);
    assertTrue(trips.answered("hv-01", stream, stream.last()));
    assertEquals(2, stream.probes.size(), "the next probe went out at once");
    assertEquals(Optional.empty(), trips.least("hv-01"));
    nanos.addAndGet(1_000_000);
    assertTrue(trips.answered("hv-01", stream, stream.last()));
    nanos.addAndGet(2_000_000);
    assertTrue(trips.answered("hv-01", stream, stream.last()));
    assertEquals(3, stream.probes.size(), "no more than FIRST_ANSWERS by themselves");
    assertEquals(Optional.of(Duration.ofMillis(1)), trips.least("hv-01"));
  }

  @Test
  void anAgentThatDoesNotAnswerProbesIsNotProbed() {
    Stream old = new Stream(false);
    trips.restart("hv-01", old);
    trips.probe("hv-01", old);
    assertEquals(List.of(), old.probes);
    trips.probe("hv-02", new Stream(true));
    assertEquals(Optional.empty(), trips.least("hv-02"), "a host never registered");
  }
}
