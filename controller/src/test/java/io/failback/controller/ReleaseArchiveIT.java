package io.failback.controller;

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

/** The controller's release archives, as {@code package} built them, against the README. */
class ReleaseArchiveIT {
  private static final Path README = Path.of("../README.md");
  private static final String TOP = "failback-controller-" + ReleaseArchives.version();

  @TempDir Path tmp;

  @Test
  void windowsZipHoldsWhatTheReadmeSays() throws IOException {
    Path zip = Path.of("target", TOP + "-windows.zip");
    TreeSet<String> entries = ReleaseArchives.zipEntries(zip, TOP);
    assertHas(entries, readmeContents(README, "failback-controller-VERSION-windows.zip"),
        zip.toString());
    assertTrue(entries.contains("lib/failback-controller-" + ReleaseArchives.version()
        + ".jar"), entries::toString);
    String cli = new String(ReleaseArchives.zipEntry(zip, TOP + "/bin/failback.cmd"),
        StandardCharsets.UTF_8);
    assertTrue(cli.contains("io.failback.controller.cli.FailbackMain %*\r\n"), cli);
    byte[] prunsrv = ReleaseArchives.zipEntry(zip, TOP + "/bin/prunsrv.exe");
    assertEquals("MZ", new String(prunsrv, 0, 2, StandardCharsets.US_ASCII), "a Windows binary");
  }

  @Test
  void linuxTarHoldsWhatTheReadmeSaysAndRuns() throws IOException {
    Path tar = Path.of("target", TOP + "-linux.tar.gz");
    assertHas(ReleaseArchives.tarEntries(tar, TOP),
        readmeContents(README, "failback-controller-VERSION-linux.tar.gz"), tar.toString());
    Path home = ReleaseArchives.extractTar(tar, tmp, TOP);

    String launcher = home.resolve("bin/failback-controller").toString();
    String help = run(List.of(launcher, "--help"), tmp, Map.of());
    assertTrue(help.contains("--replication-interval") && help.contains("install-service"), help);
    // The service command finds the installation from its own jar, as it will on Windows.
    List<String> install = run(List.of(launcher, "install-service", "--config",
        home.resolve("conf/controller.properties").toString(), "--jvm", "auto", "--print"), tmp,
        Map.of()).lines().toList();
    assertEquals(home.resolve("bin/prunsrv.exe").toString(), install.get(0));
    String ownJar = home.resolve("lib/failback-controller-" + ReleaseArchives.version() + ".jar")
        .toString();
    assertTrue(install.stream().anyMatch(line -> line.startsWith("--Classpath=" + ownJar + ";")),
        install::toString);
    assertTrue(run(List.of(home.resolve("bin/failback").toString(), "--help"), tmp, Map.of())
        .contains("reverse-replicate"));
    assertUnitVerifies(home.resolve("systemd/failback-controller.service"),
        "/opt/failback-controller", home, tmp);
  }
}
