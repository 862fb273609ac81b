package io.failback.agent;

import com.google.protobuf.util.JsonFormat;
import io.failback.agent.grpc.ControlSession;
import io.failback.agent.hyperv.simulated.SimulatedHostSeeder;
import io.failback.agent.hyperv.simulated.SimulatedHypervisor;
import io.failback.common.cli.ConfigFiles;
import io.failback.common.cli.ImplementationVersion;
import io.failback.common.cli.LogOptions;
import io.failback.common.cli.MetricsOptions;
import io.failback.common.grpc.LeakDetection;
import io.failback.common.grpc.TransportLimits;
import io.failback.common.procrun.ServiceCommands;
import io.failback.common.tls.TlsFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

/** {@code failback-agent}: runs the agent, or prepares a simulated host. */
@Command(name = "failback-agent", mixinStandardHelpOptions = true,
    versionProvider = ImplementationVersion.class,
    description = "The Failback agent of a Hyper-V host.",
    subcommands = {AgentMain.Run.class, AgentMain.Enroll.class, AgentMain.SeedDemoHost.class,
        AgentMain.Inventory.class})
public final class AgentMain {
  @Option(names = "--config", scope = CommandLine.ScopeType.INHERIT,
      description = "Properties file with any of the options.")
  Path config;

  /** Runs the agent until stopped. */
  @Command(name = "run", mixinStandardHelpOptions = true,
      description = "Dial out to the controller, register this host and serve its commands.")
  static final class Run implements Callable<Integer> {
    @Option(names = "--controller", required = true,
        description = "host:port of the controller; the host must be in its certificate."
            + " Controllers sharing a store: their addresses, comma-separated; the agent"
            + " reaches the active one.")
    String controller;

    @Option(names = "--cert", required = true, description = "Agent certificate (PEM).")
    Path cert;

    @Option(names = "--key", required = true, description = "Agent private key (PEM).")
    Path key;

    @Option(names = "--ca", required = true, description = "CA bundle (PEM).")
    Path ca;

    @Mixin
    HypervisorOptions hypervisor;

    @Option(names = "--state-dir",
        description = "The agent's own durable state (default with a simulated host:"
            + " <host-dir>/.agent; required with hyperv).")
    Path stateDir;

    @Mixin
    LogOptions logging = new LogOptions();

    @Mixin
    MetricsOptions metrics = new MetricsOptions();

    @Option(names = "--download-window-mib", paramLabel = "MIB",
        defaultValue = "" + (TransportLimits.AGENT_FLOW_CONTROL_WINDOW >> 20),
        description = "Fixed HTTP/2 window of the connection to the controller, in MiB (1 to"
            + " 256): what the controller may have in flight towards this host (failbacks)."
            + " A rate needs twice its bandwidth-delay product: 128 carries 3 Gbit/s at 120 ms;"
            + " it costs up to that much memory while the disks fall behind. 0 leaves grpc's"
            + " auto-tuning (at most 8 MiB; about 266 Mbit/s at 60 ms) (default:"
            + " ${DEFAULT-VALUE}).")
    int downloadWindowMib;

    @Option(names = "--upload-connections", paramLabel = "N",
        defaultValue = "" + TransportLimits.AGENT_UPLOAD_CONNECTIONS,
        description = "Connections to the controller beside the control connection for the"
            + " lanes of uploads (protection, reverse replication), one lane per connection,"
            + " 0 to " + TransportLimits.MAX_AGENT_UPLOAD_CONNECTIONS + ": the controller's"
            + " window of a connection grows to 8 MiB at most, which a long link's lanes would"
            + " share. 0 sends uploads over the control connection. An idle one closes after"
            + " five seconds (default: ${DEFAULT-VALUE}).")
    int uploadConnections;

    @Option(names = "--reconnect-max-delay", paramLabel = "DURATION", defaultValue = "PT60S",
        description = "Longest wait between attempts to reach a controller after the"
            + " connection was lost (ISO-8601, PT0.1S to PT1H). Attempts start 1 s apart (or"
            + " this, if shorter) and double, with 20 % jitter; a site with a standby"
            + " controller may want it short, so that a takeover is noticed sooner (default:"
            + " ${DEFAULT-VALUE}).")
    Duration reconnectMaxDelay;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException, InterruptedException {
      logging.apply();
      AgentClient agent = start();
      // Every record of this process is about its host: a central log can tell hosts apart.
      io.failback.common.logging.Logging.host(agent.hostName());
      // Started: it connects (and reconnects) to the controller by itself from here.
      AgentService.LIFETIME.run(() -> io.failback.common.service.ServiceNotify.ready(
          "agent of host " + agent.hostName() + ", connecting to " + controller), agent::close);
      return 0;
    }

    /** Starts the agent these options describe; it connects in the background. */
    AgentClient start() throws IOException {
      Path state = stateDir != null ? stateDir : hypervisor.defaultStateDir();
      AgentConfig config = AgentConfig.withDefaults(controller, new TlsFiles(cert, key, ca),
          hypervisor.hostDir, state);
      config = config.withMetricsAddress(metrics.address());
      try {
        config = config.withReconnectMaxDelay(reconnectMaxDelay);
      } catch (IllegalArgumentException e) {
        throw new ParameterException(spec.commandLine(), e.getMessage());
      }
      if (!TransportLimits.windowAllowed(downloadWindowMib * (1L << 20))) {
        throw new ParameterException(spec.commandLine(), "--download-window-mib must be 0"
            + " (auto-tuned) or 1 to 256, got " + downloadWindowMib);
      }
      if (!TransportLimits.uploadConnectionsAllowed(uploadConnections)) {
        throw new ParameterException(spec.commandLine(), "--upload-connections must be 0 to "
            + TransportLimits.MAX_AGENT_UPLOAD_CONNECTIONS + ", got " + uploadConnections);
      }
      config = config.withTransport(config.transport().withAgentFlowControlWindow(
          downloadWindowMib << 20).withAgentUploadConnections(uploadConnections));
      return AgentClient.start(config, hypervisor.driver(config.stateDir()), Clock.systemUTC(),
          new ControlSession.SessionListener() {});
    }
  }

  /** Lays out a simulated host with two demo VMs. */
  @Command(name = "enroll", mixinStandardHelpOptions = true,
      description = "Get this host's first certificate with an operator's one-time token: the"
          + " key is made here and never leaves it.")
  static final class Enroll implements Callable<Integer> {
    @Option(names = "--controller", required = true, description = "host:port of the"
        + " controller, or the addresses of controllers sharing a store, comma-separated.")
    String controller;

    @Option(names = "--token", required = true,
        description = "The token from `failback enroll-token HOST`.")
    String token;

    @Option(names = "--ca", required = true,
        description = "CA certificate (PEM) the controller's certificate must chain to.")
    Path ca;

    @Option(names = "--out", required = true,
        description = "Folder for agent.key (0600), agent.pem and ca.pem.")
    Path out;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
      var response = io.failback.agent.grpc.Enroller.enroll(controller, token, ca, out);
      var files = io.failback.agent.grpc.Enroller.files(out);
      var printer = spec.commandLine().getOut();
      printer.printf("enrolled as host %s; run: failback-agent run --controller %s --cert %s"
          + " --key %s --ca %s%n", response.getHostName(), controller, files.certificate(),
          files.privateKey(), files.caBundle());
      printer.flush();
      return 0;
    }
  }

  @Command(name = "seed-demo-host", mixinStandardHelpOptions = true,
      description = "Create a simulated Hyper-V host directory with demo VMs (sparse disks).")
  static final class SeedDemoHost implements Callable<Integer> {
    @Option(names = "--dir", required = true, description = "Directory to create.")
    Path dir;

    @Option(names = "--host-name", required = true, description = "Host name to report.")
    String hostName;

    @Option(names = "--fill-mib", defaultValue = "0",
        description = "Fill this many MiB of web-01's disk with random data (its guest's).")
    int fillMib;

    @Option(names = "--guest-memory-mib", defaultValue = "0",
        description = "Give web-01 this much memory and one processor (a small guest for"
            + " --simulated-boot and a KVM cloud under emulation); default: none recorded.")
    int guestMemoryMib;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
      long diskMib = SimulatedHostSeeder.DEMO_WEB_DISK_BYTES >> 20;
      if (fillMib < 0 || fillMib > diskMib || guestMemoryMib < 0) {
        throw new ParameterException(spec.commandLine(), "--fill-mib must be 0 to " + diskMib
            + " (web-01's disk) and --guest-memory-mib 0 or more, got " + fillMib + " and "
            + guestMemoryMib);
      }
      SimulatedHostSeeder.demoHost(dir, hostName);
      if (guestMemoryMib > 0) {
        SimulatedHostSeeder.shape(dir, "web-01", (long) guestMemoryMib << 20, 1);
      }
      if (fillMib > 0) {
        var vm = new SimulatedHypervisor(dir).inventory().getVirtualMachinesList().stream()
            .filter(v -> v.getName().equals("web-01")).findFirst().orElseThrow();
        try (var disk = io.failback.common.disk.BlockDevices.open(
            java.nio.file.Path.of(vm.getDisks(0).getPath()), true)) {
          java.util.Random random = new java.util.Random(1);
          byte[] chunk = new byte[1 << 20];
          long mib = fillMib;
          for (long i = 0; i < mib; i++) {
            random.nextBytes(chunk);
            disk.write(i << 20, java.nio.ByteBuffer.wrap(chunk));
          }
          disk.flush();
        }
      }
      System.out.println("seeded simulated host " + hostName + " in " + dir
          + (fillMib > 0 ? " (web-01's disk holds " + fillMib + " MiB of data)" : ""));
      return 0;
    }
  }

  /** Prints what the agent would register, without a controller. */
  @Command(name = "inventory", mixinStandardHelpOptions = true,
      description = "Print this host's inventory as JSON.")
  static final class Inventory implements Callable<Integer> {
    @Mixin
    HypervisorOptions hypervisor;

    @Override
    public Integer call() throws IOException {
      System.out.println(JsonFormat.printer().print(hypervisor.driver().inventory()
          .toBuilder().setAgentVersion(AgentClient.VERSION)));
      return 0;
    }
  }

  /** The command line of {@code failback-agent}, errors printed as one line. */
  static CommandLine commandLine() {
    return ImplementationVersion.everywhere(ServiceCommands.addTo(new CommandLine(
        new AgentMain()), AgentService.DEFINITION))
        .setExecutionExceptionHandler((e, cmd, parsed) -> {
          cmd.getErr().println("failback-agent: " + e.getMessage());
          return 1;
        });
  }

  public static void main(String[] args) {
    LeakDetection.offUnlessSet();
    System.exit(ConfigFiles.execute(commandLine(), args, "FAILBACK_AGENT_CONFIG", null));
  }
}
