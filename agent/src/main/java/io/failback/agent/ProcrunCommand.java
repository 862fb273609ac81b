package io.failback.agent;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.ArrayList;
import java.util.List;

/**
 * The {@code prunsrv.exe} command lines that install and remove the agent's Windows service
 * (Apache Commons Daemon procrun, {@code jvm} mode: the JVM is loaded into the service process
 * and {@link AgentService#start}/{@link AgentService#stop} are called on their own threads).
 *
 * @param prunsrv path of {@code prunsrv.exe}
 * @param serviceName the service's key name ({@code sc query NAME})
 * @param jvm path of {@code jvm.dll}, or {@code auto} for the JRE in the registry
 * @param classpath every jar, in order
 * @param configFile the properties file the service runs with
 * @param logDir where procrun writes its log and the service's stdout/stderr
 * @param serviceUser {@code LocalSystem}, or an account with Hyper-V Administrators rights
 */
public record ProcrunCommand(String prunsrv, String serviceName, String jvm,
    List<String> classpath, String configFile, String logDir, String serviceUser) {
  /** procrun's list separators; a value holding one would be split. */
  private static final String SEPARATORS = ";#";
  /** Hyper-V's Virtual Machine Management service: nothing to drive before it runs. */
  private static final String DEPENDS_ON = "vmms";

  public ProcrunCommand {
    checkArgument(serviceName.matches("[A-Za-z0-9_-]{1,80}"),
        "service name '%s' must be letters, digits, '_' or '-'", serviceName);
    classpath = List.copyOf(classpath);
    checkArgument(!classpath.isEmpty(), "the classpath is empty");
    for (String jar : classpath) {
      checkNoSeparator(jar, "classpath entry");
    }
    checkNoSeparator(configFile, "config file");
  }

  /** {@code prunsrv //IS//NAME ...}: installs the service, started automatically at boot. */
  public List<String> install() {
    List<String> command = new ArrayList<>(List.of(prunsrv, "//IS//" + serviceName,
        "--DisplayName=Failback Agent",
        "--Description=Failback agent: dials out to the Failback controller and drives this"
            + " Hyper-V host for failback and protection.",
        "--Startup=auto",
        "--DependsOn=" + DEPENDS_ON,
        "--ServiceUser=" + serviceUser,
        "--Jvm=" + jvm,
        "--Classpath=" + String.join(";", classpath),
        "--JvmOptions=-Dfile.encoding=UTF-8",
        "--StartMode=jvm",
        "--StartClass=" + AgentService.class.getName(),
        "--StartMethod=start",
        "--StartParams=run;--config;" + configFile,
        "--StopMode=jvm",
        "--StopClass=" + AgentService.class.getName(),
        "--StopMethod=stop",
        // procrun kills the JVM after this; the agent's own wait is shorter.
        "--StopTimeout=" + (AgentService.STOP_WAIT.toSeconds() + 30),
        "--LogPath=" + logDir,
        "--LogPrefix=failback-agent-service",
        "--StdOutput=auto",
        "--StdError=auto"));
    return command;
  }

  /** {@code prunsrv //DS//NAME}: stops and removes the service. */
  public static List<String> uninstall(String prunsrv, String serviceName) {
    return List.of(prunsrv, "//DS//" + serviceName);
  }

  private static void checkNoSeparator(String value, String what) {
    for (char c : SEPARATORS.toCharArray()) {
      checkArgument(value.indexOf(c) < 0, "%s '%s' holds '%s', which procrun reads as a list"
          + " separator; install to a path without it", what, value, c);
    }
  }
}
