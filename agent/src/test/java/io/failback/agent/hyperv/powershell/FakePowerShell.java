package io.failback.agent.hyperv.powershell;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;

/**
 * A fake {@code powershell} executable (a shell script) that expects a given sequence of calls
 * and answers each with a recorded fixture; see {@code fake-powershell.sh}.
 */
final class FakePowerShell {
  /** The scripts as they are in the source tree, read without the code under test. */
  static final Path SCRIPTS =
      Path.of("src/main/resources/io/failback/agent/hyperv/powershell");

  private final Path dir;
  private int expected;

  FakePowerShell(Path dir) throws IOException {
    this.dir = dir;
    Path executable = dir.resolve("powershell");
    try (InputStream in = FakePowerShell.class.getResourceAsStream("fake-powershell.sh")) {
      Files.write(executable, in.readAllBytes());
    }
    Files.setPosixFilePermissions(executable, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  String executable() {
    return dir.resolve("powershell").toString();
  }

  /** A driver that runs this fake, 30 s per command, {@code shutdown} per guest shutdown. */
  PowerShellHypervisor driver(Duration shutdown) {
    return driver(shutdown, null);
  }

  /** Like {@link #driver(Duration)}, keeping the driver's own state in {@code stateDir}. */
  PowerShellHypervisor driver(Duration shutdown, Path stateDir) {
    return new PowerShellHypervisor(new PowerShellHypervisor.Options(executable(),
        Duration.ofSeconds(30), shutdown, Duration.ofSeconds(30)), stateDir);
  }

  /** RCT queries through this fake, 30 s per command. */
  RctChangeTracking changeTracking() {
    return new RctChangeTracking(new PowerShell(executable()), Duration.ofSeconds(30));
  }

  /** Expects a run of {@code script} with exactly {@code params}; answers with the fixture. */
  FakePowerShell expect(String script, String params, String fixture) throws IOException {
    return expect(script, params, fixture(fixture), "", 0);
  }

  /** Expects a run of {@code script} with exactly {@code params}; answers as given. */
  FakePowerShell expect(String script, String params, String stdout, String stderr, int exit)
      throws IOException {
    expected++;
    String call = "call-" + expected;
    String text = Files.readString(SCRIPTS.resolve("prelude.ps1"))
        + Files.readString(SCRIPTS.resolve(script));
    Files.writeString(dir.resolve(call + ".name"), script);
    Files.writeString(dir.resolve(call + ".expected-script"), text, StandardCharsets.UTF_8);
    Files.writeString(dir.resolve(call + ".expected-params"), params, StandardCharsets.UTF_8);
    Files.writeString(dir.resolve(call + ".stdout"), stdout, StandardCharsets.UTF_8);
    Files.writeString(dir.resolve(call + ".stderr"), stderr, StandardCharsets.UTF_8);
    Files.writeString(dir.resolve(call + ".exit"), Integer.toString(exit));
    return this;
  }

  /** The script text call {@code n} (from 1) received, decoded by the fake. */
  String receivedScript(int n) throws IOException {
    return Files.readString(dir.resolve("call-" + n + ".script"), StandardCharsets.UTF_8);
  }

  /** Every expected call was made, and no other. */
  void assertAllCalled() throws IOException {
    Path count = dir.resolve("count");
    assertEquals(expected, Files.exists(count) ? Integer.parseInt(Files.readString(count).strip())
        : 0, "calls made to the fake powershell");
  }

  static String fixture(String name) throws IOException {
    try (InputStream in = FakePowerShell.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IOException("fixture " + name + " is missing");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
