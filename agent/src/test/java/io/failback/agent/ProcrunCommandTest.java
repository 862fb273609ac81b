package io.failback.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.procrun.ProcrunCommand;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The exact prunsrv command lines (they can only run on Windows). */
class ProcrunCommandTest {
  private static final String HOME = "C:\\Program Files\\Failback Agent";

  @TempDir Path tmp;

  @Test
  void installCommandLine() {
    ProcrunCommand command = new ProcrunCommand(AgentService.DEFINITION,
        HOME + "\\bin\\prunsrv.exe", "FailbackAgent",
        "C:\\Program Files\\Eclipse Adoptium\\jre-17\\bin\\server\\jvm.dll",
        List.of(HOME + "\\lib\\failback-agent.jar", HOME + "\\lib\\grpc-api.jar"),
        "C:\\ProgramData\\Failback\\agent.properties", HOME + "\\logs", "LocalSystem");
    assertEquals(List.of(
        HOME + "\\bin\\prunsrv.exe",
        "//IS//FailbackAgent",
        "--DisplayName=Failback Agent",
        "--Description=Failback agent: dials out to the Failback controller and drives this"
            + " Hyper-V host for failback and protection.",
        "--Startup=auto",
        "--DependsOn=vmms",
        "--ServiceUser=LocalSystem",
        "--Jvm=C:\\Program Files\\Eclipse Adoptium\\jre-17\\bin\\server\\jvm.dll",
        "--Classpath=" + HOME + "\\lib\\failback-agent.jar;" + HOME + "\\lib\\grpc-api.jar",
        "--JvmOptions=-Dfile.encoding=UTF-8",
        "--JvmMx=512",
        "--StartMode=jvm",
        "--StartClass=io.failback.agent.AgentService",
        "--StartMethod=start",
        "--StartParams=run;--config;C:\\ProgramData\\Failback\\agent.properties",
        "--StopMode=jvm",
        "--StopClass=io.failback.agent.AgentService",
        "--StopMethod=stop",
        "--StopTimeout=90",
        "--LogPath=" + HOME + "\\logs",
        "--LogPrefix=failback-agent-service",
        "--LogLevel=Info",
        "--StdOutput=auto",
        "--StdError=auto"), command.install());
    assertEquals(List.of(HOME + "\\bin\\prunsrv.exe", "//DS//FailbackAgent"),
        ProcrunCommand.uninstall(HOME + "\\bin\\prunsrv.exe", "FailbackAgent"));
  }

  /** The service and every launcher bound the agent's heap alike: a host's VMs need the rest. */
  @Test
  void everyWayOfRunningTheAgentBoundsItsHeap() throws Exception {
    String xmx = "-Xmx" + AgentService.MAX_HEAP_MIB + "m ";
    for (String launcher : List.of("src/dist/linux/bin/failback-agent",
        "src/dist/windows/bin/failback-agent.cmd", "../bin/failback-agent")) {
      String text = Files.readString(Path.of(launcher));
      // Before JAVA_OPTS, so that an operator's -Xmx there wins.
      assertTrue(text.contains(xmx + "${JAVA_OPTS") || text.contains(xmx + "%JAVA_OPTS%"),
          launcher + " does not give " + xmx + "before JAVA_OPTS");
    }
  }

  @Test
  void refusesValuesProcrunWouldSplit() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new ProcrunCommand(AgentService.DEFINITION, "prunsrv.exe", "FailbackAgent",
            "auto", List.of("a.jar"), "C:\\conf;x\\agent.properties", "C:\\logs", "LocalSystem"));
    assertTrue(e.getMessage().contains("list separator"), e.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> new ProcrunCommand(AgentService.DEFINITION, "prunsrv.exe", "Failback Agent",
            "auto", List.of("a.jar"), "agent.properties", "C:\\logs", "LocalSystem"));
  }

  @Test
  void installServiceCommandListsTheInstalledJarsAgentFirst() throws Exception {
    Path home = Files.createDirectories(tmp.resolve("failback-agent"));
    Path lib = Files.createDirectories(home.resolve("lib"));
    for (String jar : List.of("grpc-api.jar", "failback-agent.jar", "failback-common.jar",
        "README.txt")) {
      Files.writeString(lib.resolve(jar), "");
    }
    Path config = Files.writeString(tmp.resolve("agent.properties"), "controller=c:1\n");
    StringWriter out = new StringWriter();
    int exit = AgentMain.commandLine().setOut(new PrintWriter(out)).execute("install-service",
        "--config", config.toString(), "--home", home.toString(), "--jvm", "auto", "--print");
    assertEquals(0, exit);
    List<String> lines = out.toString().lines().toList();
    assertEquals(home.resolve("bin").resolve("prunsrv.exe").toString(), lines.get(0));
    assertEquals("//IS//FailbackAgent", lines.get(1));
    assertTrue(lines.contains("--Classpath=" + lib.resolve("failback-agent.jar") + ";"
        + lib.resolve("failback-common.jar") + ";" + lib.resolve("grpc-api.jar")), lines::toString);
    assertTrue(lines.contains("--StartParams=run;--config;" + config.toAbsolutePath()),
        lines::toString);
    assertTrue(lines.contains("--LogPath=" + home.resolve("logs")), lines::toString);
  }

  @Test
  void installServiceNeedsAConfigFileAndWindows() throws Exception {
    StringWriter err = new StringWriter();
    CommandLine command = AgentMain.commandLine().setErr(new PrintWriter(err));
    assertEquals(1, command.execute("install-service", "--home", tmp.toString()));
    assertTrue(err.toString().contains("--config FILE is required"), err.toString());
    err.getBuffer().setLength(0);
    assertEquals(1, command.execute("uninstall-service", "--home", tmp.toString()));
    assertTrue(err.toString().contains("Windows services exist only on Windows"), err.toString());
  }
}
