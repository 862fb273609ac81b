package io.failback.agent;

import static io.failback.common.testing.ReleaseArchives.assertHas;
import static io.failback.common.testing.ReleaseArchives.assertUnitVerifies;
import static io.failback.common.testing.ReleaseArchives.readmeContents;
import static io.failback.common.testing.ReleaseArchives.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.testing.ReleaseArchives;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agent's release archives, as {@code package} built them, against the README. */
class ReleaseArchiveIT {
  private static final Path README = Path.of("../README.md");
  private static final String TOP = "failback-agent-" + ReleaseArchives.version();

  @TempDir Path tmp;

  @Test
  void windowsZipHoldsWhatTheReadmeSays() throws IOException {
    Path zip = Path.of("target", TOP + "-windows.zip");
    TreeSet<String> entries = ReleaseArchives.zipEntries(zip, TOP);
    assertHas(entries, readmeContents(README, "failback-agent-VERSION-windows.zip"),
        zip.toString());
    assertTrue(entries.contains("lib/failback-agent-" + ReleaseArchives.version() + ".jar"),
        entries::toString);
    byte[] prunsrv = ReleaseArchives.zipEntry(zip, TOP + "/bin/prunsrv.exe");
    assertEquals("MZ", new String(prunsrv, 0, 2, StandardCharsets.US_ASCII), "a Windows binary");
    String launcher = new String(ReleaseArchives.zipEntry(zip, TOP + "/bin/failback-agent.cmd"),
        StandardCharsets.UTF_8);
    assertTrue(launcher.contains("\r\nsetlocal\r\n"), "CRLF line ends for cmd.exe");
  }

  @Test
  void linuxTarHoldsWhatTheReadmeSaysAndRuns() throws IOException {
    Path tar = Path.of("target", TOP + "-linux.tar.gz");
    assertHas(ReleaseArchives.tarEntries(tar, TOP),
        readmeContents(README, "failback-agent-VERSION-linux.tar.gz"), tar.toString());
    Path home = ReleaseArchives.extractTar(tar, tmp, TOP);
    String launcher = home.resolve("bin/failback-agent").toString();

    assertTrue(run(List.of(launcher, "--help"), tmp, Map.of()).contains("install-service"));
    Path host = tmp.resolve("host");
    run(List.of(launcher, "seed-demo-host", "--dir", host.toString(), "--host-name", "hv-9"),
        tmp, Map.of());
    String inventory = run(List.of(launcher, "inventory", "--hypervisor", "simulated",
        "--host-dir", host.toString()), tmp, Map.of());
    assertTrue(inventory.contains("\"hostName\": \"hv-9\"") && inventory.contains("web-01"),
        inventory);

    assertUnitVerifies(home.resolve("systemd/failback-agent.service"), "/opt/failback-agent",
        home, tmp);
  }
}
