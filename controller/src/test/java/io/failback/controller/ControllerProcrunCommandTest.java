package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.cli.ConfigFiles;
import io.failback.common.procrun.ProcrunCommand;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The controller's exact prunsrv command lines (they can only run on Windows). */
class ControllerProcrunCommandTest {
  private static final String HOME = "C:\\Program Files\\Failback Controller";
  private static final String PRUNSRV = HOME + "\\bin\\prunsrv.exe";

  @TempDir Path tmp;
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  @Test
  void installAndUninstallCommandLines() {
    ProcrunCommand command = new ProcrunCommand(ControllerService.DEFINITION, PRUNSRV,
        "FailbackController", "C:\\Program Files\\Eclipse Adoptium\\jre-17\\bin\\server\\jvm.dll",
        List.of(HOME + "\\lib\\failback-controller.jar", HOME + "\\lib\\sqlite-jdbc.jar"),
        "C:\\ProgramData\\Failback\\controller.properties", HOME + "\\logs",
        "NT Authority\\LocalService");
    assertEquals(List.of(
        PRUNSRV,
        "//IS//FailbackController",
        "--DisplayName=Failback Controller",
        "--Description=Failback controller: serves Failback agents and operators on one mutually"
            + " authenticated TLS port and runs protection, failover and failback.",
        "--Startup=auto",
        "--ServiceUser=NT Authority\\LocalService",
        "--Jvm=C:\\Program Files\\Eclipse Adoptium\\jre-17\\bin\\server\\jvm.dll",
        "--Classpath=" + HOME + "\\lib\\failback-controller.jar;" + HOME + "\\lib\\sqlite-jdbc.jar",
        "--JvmOptions=-Dfile.encoding=UTF-8",
        "--StartMode=jvm",
        "--StartClass=io.failback.controller.ControllerService",
        "--StartMethod=start",
        "--StartParams=--config;C:\\ProgramData\\Failback\\controller.properties",
        "--StopMode=jvm",
        "--StopClass=io.failback.controller.ControllerService",
        "--StopMethod=stop",
        "--StopTimeout=90",
        "--LogPath=" + HOME + "\\logs",
        "--LogPrefix=failback-controller-service",
        "--LogLevel=Info",
        "--StdOutput=auto",
        "--StdError=auto"), command.install());
    assertEquals(List.of(PRUNSRV, "//DS//FailbackController"),
        ProcrunCommand.uninstall(PRUNSRV, "FailbackController"));
  }

  @Test
  void serviceCommandsPrintTheseCommandLinesForTheInstallation() throws Exception {
    Path home = tmp.resolve("failback-controller");
    Path jar = Files.createDirectories(home.resolve("lib")).resolve("failback-controller.jar");
    Files.writeString(jar, "");
    // procrun's own log follows the component's level.
    Path config = Files.writeString(tmp.resolve("controller.properties"),
        "cert=c.pem\nlog-level=warn\n");
    String prunsrv = home.resolve("bin").resolve("prunsrv.exe").toString();

    assertEquals(0, execute("install-service", "--config", config.toString(), "--home",
        home.toString(), "--jvm", "auto", "--print"));
    assertEquals(new ProcrunCommand(ControllerService.DEFINITION, prunsrv, "FailbackController",
        "auto", List.of(jar.toString()), config.toAbsolutePath().toString(),
        home.resolve("logs").toString(), "NT Authority\\LocalService", "warn").install(),
        out.toString().lines().toList());
    assertTrue(out.toString().contains("--LogLevel=Warn"), out.toString());

    out.getBuffer().setLength(0);
    assertEquals(0, execute("uninstall-service", "--home", home.toString(), "--print"));
    assertEquals(List.of(prunsrv, "//DS//FailbackController"), out.toString().lines().toList());
  }

  @Test
  void installServiceWithoutItsConfigFileSaysSoInOneLineAndRunsNothing() {
    assertEquals(1, execute("install-service", "--home", tmp.toString(), "--print"));
    assertOneLineError("failback-controller: --config FILE is required: the service runs"
        + " '--config FILE' and takes every option from it");

    Path missing = tmp.resolve("missing.properties");
    assertEquals(2, execute("install-service", "--config", missing.toString(), "--home",
        tmp.toString(), "--print"));
    assertOneLineError("error: config file " + missing + " does not exist");
  }

  @Test
  void uninstallServiceNeedsWindows() {
    assertEquals(1, execute("uninstall-service", "--home", tmp.toString()));
    assertTrue(err.toString().contains("Windows services exist only on Windows"), err.toString());
  }

  @Test
  void runningStillNeedsTheTlsFiles() {
    assertEquals(2, execute("--listen", "127.0.0.1:0", "--cert", "c.pem"));
    // One line, naming the command, what is missing and where to read more.
    assertEquals("failback-controller: Missing required options: '--key=<key>', '--ca=<ca>'"
        + " (see --help)", err.toString().strip(), err.toString());
  }

  /** Runs {@code failback-controller} as its main does, with the config file as defaults. */
  private int execute(String... args) {
    CommandLine command = ControllerMain.commandLine().setOut(new PrintWriter(out, true))
        .setErr(new PrintWriter(err, true));
    // Not FAILBACK_CONTROLLER_CONFIG: a developer's own setting must not change the outcome.
    return ConfigFiles.execute(command, args, "FAILBACK_TEST_NO_CONFIG", null);
  }

  private void assertOneLineError(String expected) {
    assertEquals(List.of(expected), err.toString().lines().toList());
    assertEquals("", out.toString(), "nothing printed, nothing run");
    err.getBuffer().setLength(0);
  }
}
