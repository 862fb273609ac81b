package io.failback.common.procrun;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.ArrayList;
import java.util.List;

/**
 * The {@code prunsrv.exe} command lines that install and remove a component's Windows service
 * (Apache Commons Daemon procrun, {@code jvm} mode: the JVM is loaded into the service process
 * and the entry point's static {@code start} and {@code stop} are called on their own threads).
 *
 * @param service the component the service runs
 * @param prunsrv path of {@code prunsrv.exe}
 * @param serviceName the service's key name ({@code sc query NAME})
 * @param jvm path of {@code jvm.dll}, or {@code auto} for the JRE in the registry
 * @param classpath every jar, in order
 * @param configFile the properties file the service runs with
 * @param logDir where procrun writes its log and the service's stdout/stderr
 * @param serviceUser the account the service runs as ({@link ServiceDefinition#userRights})
 * @param logLevel the component's {@code log-level} (error, warn, info, debug, trace), which
 *     procrun's own log follows
 */
public record ProcrunCommand(ServiceDefinition service, String prunsrv, String serviceName,
    String jvm, List<String> classpath, String configFile, String logDir, String serviceUser,
    String logLevel) {
  /** procrun's list separators; a value holding one would be split. */
  private static final String SEPARATORS = ";#";
  /** How much longer procrun waits for a stop than the component itself. */
  private static final long STOP_TIMEOUT_MARGIN_SECONDS = 30;

  /** A service logging at info. */
  public ProcrunCommand(ServiceDefinition service, String prunsrv, String serviceName,
      String jvm, List<String> classpath, String configFile, String logDir,
      String serviceUser) {
    this(service, prunsrv, serviceName, jvm, classpath, configFile, logDir, serviceUser,
        "info");
  }

  public ProcrunCommand {
    procrunLevel(logLevel); // checked before anything is installed
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
    String entryPoint = service.entryPoint().getName();
    List<String> command = new ArrayList<>(List.of(prunsrv, "//IS//" + serviceName,
        "--DisplayName=" + service.displayName(),
        "--Description=" + service.description(),
        "--Startup=auto"));
    if (!service.dependsOn().isEmpty()) {
      command.add("--DependsOn=" + String.join(";", service.dependsOn()));
    }
    command.addAll(List.of(
        "--ServiceUser=" + serviceUser,
        "--Jvm=" + jvm,
        "--Classpath=" + String.join(";", classpath),
        "--JvmOptions=-Dfile.encoding=UTF-8"));
    if (service.maxHeapMib() > 0) {
      command.add("--JvmMx=" + service.maxHeapMib());
    }
    command.addAll(List.of(
        "--StartMode=jvm",
        "--StartClass=" + entryPoint,
        "--StartMethod=start",
        "--StartParams=" + String.join(";", service.arguments(configFile)),
        "--StopMode=jvm",
        "--StopClass=" + entryPoint,
        "--StopMethod=stop",
        // procrun kills the JVM after this; the component's own wait is shorter.
        "--StopTimeout=" + (service.stopWait().toSeconds() + STOP_TIMEOUT_MARGIN_SECONDS),
        "--LogPath=" + logDir,
        "--LogPrefix=" + service.artifact() + "-service",
        "--LogLevel=" + procrunLevel(logLevel),
        "--StdOutput=auto",
        "--StdError=auto"));
    return command;
  }

  /**
   * procrun's level for the component's: its log then holds what the component's does (trace
   * has no procrun equivalent: Debug).
   */
  static String procrunLevel(String logLevel) {
    return switch (io.failback.common.logging.Logging.parseLevel(logLevel).levelStr) {
      case "ERROR" -> "Error";
      case "WARN" -> "Warn";
      case "INFO" -> "Info";
      default -> "Debug";
    };
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
