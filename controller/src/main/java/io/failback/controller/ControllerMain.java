package io.failback.controller;

import io.failback.common.cli.ConfigFiles;
import io.failback.common.tls.TlsFiles;
import io.failback.controller.store.StoreException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code failback-controller}: runs the controller until stopped. */
@Command(name = "failback-controller", mixinStandardHelpOptions = true,
    description = "Runs the Failback controller: one mutually authenticated TLS port for agents"
        + " and operators.")
public final class ControllerMain implements Callable<Integer> {
  @Option(names = "--config", description = "Properties file with any of these options.")
  Path config;

  @Option(names = "--listen", defaultValue = "0.0.0.0:8443",
      description = "Address and port to listen on (default: ${DEFAULT-VALUE}).")
  String listen;

  @Option(names = "--state-dir", defaultValue = "state",
      description = "Folder of the controller database (default: ${DEFAULT-VALUE}).")
  Path stateDir;

  @Option(names = "--cert", required = true, description = "Controller certificate (PEM).")
  Path cert;

  @Option(names = "--key", required = true, description = "Controller private key (PEM).")
  Path key;

  @Option(names = "--ca", required = true, description = "CA bundle trusted for clients (PEM).")
  Path ca;

  @Option(names = "--trust-domain",
      description = "SPIFFE trust domain; default: the one the CA certificate names.")
  String trustDomain;

  @Option(names = "--heartbeat-interval", defaultValue = "PT10S",
      description = "Agent heartbeat interval, ISO-8601 (default: ${DEFAULT-VALUE}).")
  Duration heartbeatInterval;

  @Option(names = "--heartbeat-timeout", defaultValue = "PT35S",
      description = "Silence before a host is offline (default: ${DEFAULT-VALUE}).")
  Duration heartbeatTimeout;

  @Option(names = "--replication-interval", defaultValue = "PT5M",
      description = "Delta cycle of protected VMs to the cloud (default: ${DEFAULT-VALUE}).")
  Duration replicationInterval;

  @Option(names = "--simulation",
      description = "Serve the SIMULATION-ONLY guest writer for cloud VMs (demos, tests).")
  boolean simulation;

  @Option(names = "--port-file",
      description = "Write the bound port here once listening (for scripts using port 0).")
  Path portFile;

  @Override
  public Integer call() throws IOException, StoreException, InterruptedException {
    int colon = listen.lastIndexOf(':');
    if (colon < 0) {
      throw new CommandLine.ParameterException(new CommandLine(this),
          "--listen must be host:port, got '" + listen + "'");
    }
    ControllerConfig base = ControllerConfig.withDefaults(listen.substring(0, colon),
        Integer.parseInt(listen.substring(colon + 1)), stateDir, new TlsFiles(cert, key, ca))
        .withHeartbeat(heartbeatInterval, heartbeatTimeout);
    ControllerConfig config = new ControllerConfig(base.listenHost(), base.port(),
        base.stateDir(), base.tls(), trustDomain, base.heartbeatInterval(),
        base.heartbeatTimeout(), base.reloadPeriod(), base.peerRecheckPeriod(),
        replicationInterval, simulation);
    ControllerServer server = ControllerServer.start(config, Clock.systemUTC());
    Runtime.getRuntime().addShutdownHook(new Thread(server::close, "controller-shutdown"));
    if (portFile != null) {
      Path tmp = portFile.resolveSibling(portFile.getFileName() + ".tmp");
      Files.writeString(tmp, Integer.toString(server.port()), StandardCharsets.UTF_8);
      Files.move(tmp, portFile, java.nio.file.StandardCopyOption.ATOMIC_MOVE,
          java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
    server.awaitTermination();
    return 0;
  }

  public static void main(String[] args) {
    CommandLine command = new CommandLine(new ControllerMain())
        .setExecutionExceptionHandler((e, cmd, parsed) -> {
          cmd.getErr().println("failback-controller: " + e.getMessage());
          return 1;
        });
    System.exit(ConfigFiles.execute(command, args, "FAILBACK_CONTROLLER_CONFIG", null));
  }
}
