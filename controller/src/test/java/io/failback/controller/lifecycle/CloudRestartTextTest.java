package io.failback.controller.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.failback.controller.cloud.Cloud;
import io.failback.controller.cloud.CloudException;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What a job says when it starts the cloud VM: the cloud's start notes (a network adapter left
 * unplugged), and, when a failback is abandoned, whether the restart worked at all.
 */
class CloudRestartTextTest {
  private final List<String> starts = new ArrayList<>();

  /** A cloud whose start succeeds with {@code notes}, or fails with {@code failure}. */
  private Cloud cloud(List<String> notes, CloudException failure) {
    return (Cloud) Proxy.newProxyInstance(Cloud.class.getClassLoader(),
        new Class<?>[] {Cloud.class}, (proxy, method, args) -> {
          switch (method.getName()) {
            case "start" -> {
              starts.add((String) args[0]);
              if (failure != null) {
                throw failure;
              }
              return null;
            }
            case "startNotes" -> {
              return notes;
            }
            default -> throw new AssertionError("unexpected call " + method.getName());
          }
        });
  }

  @Test
  void anAbandonedFailbackSaysTheCloudVmRunsAgainWithWhatItsStartLeftOut() {
    String said = FlowSupport.restartCloudVm(cloud(List.of("network adapter 'Network Adapter'"
        + " left unplugged for this start: libvirt network 'LAN' is not active"), null), "vm-1");

    assertEquals("the cloud VM runs again; network adapter 'Network Adapter' left unplugged for"
        + " this start: libvirt network 'LAN' is not active", said);
    assertEquals(List.of("vm-1"), starts);
  }

  @Test
  void aRestartThatFailsIsSaidNotTakenForDone() {
    String said = FlowSupport.restartCloudVm(cloud(List.of(), CloudException.precondition(
        "cloud VM %s has a disk open for writing", "web-01")), "vm-1");

    assertEquals("restarting the cloud VM failed (cloud VM web-01 has a disk open for writing):"
        + " start it when that is mended", said);
  }

  @Test
  void aStartWithNothingLeftOutSaysNothingMore() throws Exception {
    assertEquals("", FlowSupport.startCloudVm(cloud(List.of(), null), "vm-1"));
    assertEquals("the cloud VM runs again",
        FlowSupport.restartCloudVm(cloud(List.of(), null), "vm-2"));
    assertEquals(List.of("vm-1", "vm-2"), starts);
  }

  @Test
  void aRollbackStartThatFailsThrowsForItsCallerToHandle() {
    assertThrows(CloudException.class, () -> FlowSupport.startCloudVm(cloud(List.of(),
        CloudException.precondition("no such VM %s", "vm-1")), "vm-1"));
  }
}
