package io.failback.agent.hyperv;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.failback.proto.v1.PowerState;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class HyperVStatesTest {
  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
    "Running, RUNNING",
    "Off, OFF",
    "Saved, SAVED",
    "Paused, PAUSED",
    "Starting, STARTING",
    "Stopping, STOPPING",
    "running, RUNNING",
    "OFF, OFF",
    "Saving, OTHER",
    "Resetting, OTHER",
    "FastSaved, OTHER",
    "RunningCritical, OTHER",
    "OffCritical, OTHER",
    "Other, OTHER",
  })
  void mapsHyperVStateWords(String state, PowerState expected) {
    assertEquals(expected, HyperVStates.powerState(state));
  }
}
