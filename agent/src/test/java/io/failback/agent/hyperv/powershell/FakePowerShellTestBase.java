package io.failback.agent.hyperv.powershell;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/** A PowerShell driver running a fresh fake powershell; a guest may take 90 s to shut down. */
abstract class FakePowerShellTestBase {
  static final Duration SHUTDOWN = Duration.ofSeconds(90);

  @TempDir Path dir;
  FakePowerShell fake;
  PowerShellHypervisor driver;

  @BeforeEach
  void setUpFake() throws IOException {
    fake = new FakePowerShell(dir);
    driver = fake.driver(SHUTDOWN);
  }
}
