package io.failback.controller;

import io.failback.common.cli.ConfigFiles;
import io.failback.common.cli.ImplementationVersion;
import io.failback.common.cli.LogOptions;
import io.failback.common.cli.MetricsOptions;
import io.failback.common.grpc.LeakDetection;
import io.failback.common.procrun.ServiceCommands;
import io.failback.common.service.ServiceNotify;
import io.failback.common.tls.TlsFiles;
import io.failback.controller.bandwidth.BandwidthSchedule;
import io.failback.controller.cloud.kvm.KernelBoot;
import io.failback.controller.store.StoreException;
import io.failback.controller.store.StoreLocation;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

/** {@code failback-controller}: runs the controller until stopped, or installs its service. */
@Command(name = "failback-controller", mixinStandardHelpOptions = true,
    versionProvider = ImplementationVersion.class,
    description = "Runs the Failback controller: one mutually authenticated TLS port for agents"
        + " and operators.")
public final class ControllerMain implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Option(names = "--config", scope = CommandLine.ScopeType.INHERIT,
      description = "Properties file with any of these options.")
  Path config;

  @Option(names = "--listen", defaultValue = "0.0.0.0:8443",
      description = "Address and port to listen on (default: ${DEFAULT-VALUE}).")
  String listen;

  @Option(names = "--state-dir", defaultValue = "state",
      description = "Folder of the controller database (default: ${DEFAULT-VALUE}).")
  Path stateDir;

  @Mixin
  StoreOptions storeOptions = new StoreOptions();

  @Option(names = "--advertise-address", paramLabel = "HOST:PORT", defaultValue = "",
      description = "Where agents and operators reach this controller, as other controllers"
          + " sharing the store name it (default: this machine's name and the --listen port).")
  String advertiseAddress;

  @Option(names = "--lease-ttl", defaultValue = "PT15S", paramLabel = "DURATION",
      description = "Controllers sharing a store: how long the active one's lease lasts"
          + " unrenewed, so the longest a standby waits before it takes over"
          + " (default: ${DEFAULT-VALUE}).")
  Duration leaseTtl;

  // Required to run, checked in call(): picocli would demand them of the service commands too.
  @Option(names = "--cert", description = "Controller certificate (PEM); required.")
  Path cert;

  @Option(names = "--key", description = "Controller private key (PEM); required.")
  Path key;

  @Option(names = "--ca", description = "CA bundle trusted for clients (PEM); required.")
  Path ca;

  @Option(names = "--crl",
      description = "Certificate revocation list to enforce (PEM, failback-pki revoke), reloaded"
          + " when it changes; default: crl.pem beside --ca, once it exists.")
  Path crl;

  @Option(names = "--trust-domain",
      description = "SPIFFE trust domain; default: the one the CA certificate names.")
  String trustDomain;

  @Option(names = "--heartbeat-interval", defaultValue = "PT10S",
      description = "Agent heartbeat interval, ISO-8601 (default: ${DEFAULT-VALUE}).")
  Duration heartbeatInterval;

  @Option(names = "--agent-return-timeout", defaultValue = "PT10M",
      description = "How long a job waits for a lost agent (disconnected, restarted) to come"
          + " back; its syncs then resume from the last acknowledged batch. After it the job"
          + " fails and a failback is rolled back. ISO-8601 (default: ${DEFAULT-VALUE}).")
  Duration agentReturnTimeout;

  @Option(names = "--sync-stall-timeout", defaultValue = "PT5M",
      description = "How long a job's syncs may move nothing while their agent stays connected"
          + " (a hung agent or disk, a stalled link) before they are stopped and the job fails."
          + " ISO-8601 (default: ${DEFAULT-VALUE}).")
  Duration syncStallTimeout;

  @Option(names = "--bandwidth-limit", defaultValue = "unlimited", paramLabel = "SCHEDULE",
      description = "Global limit on block transfers with the hosts, both directions: a rate"
          + " (100Mbit/s, 40MiB/s, unlimited) or time windows and a rate for the rest, e.g."
          + " 'Mon-Fri 08:00-18:00=100Mbit/s, unlimited'. SetBandwidthLimit replaces it at run"
          + " time; hosts, jobs and plans have their own (default: ${DEFAULT-VALUE}).")
  String bandwidthLimit;

  @Option(names = "--upload-window-mib", defaultValue = "0", paramLabel = "MIB",
      description = "Fixed HTTP/2 window of each agent's connection at the controller, in MiB"
          + " (1 to 256): what an agent may have in flight towards the controller (protection,"
          + " replication). 0 leaves grpc's auto-tuning (at most 8 MiB; about 266 Mbit/s at"
          + " 60 ms). A larger window carries long fat links but may pin that much memory per"
          + " agent whose data the controller reads slower than it arrives"
          + " (default: ${DEFAULT-VALUE}).")
  int uploadWindowMib;

  @Option(names = "--bandwidth-time-zone", paramLabel = "ZONE",
      description = "Zone of the time windows of every bandwidth schedule, e.g. Europe/Berlin"
          + " (default: the machine's).")
  String bandwidthTimeZone;

  @Option(names = "--heartbeat-timeout", defaultValue = "PT35S",
      description = "Silence before a host is offline (default: ${DEFAULT-VALUE}).")
  Duration heartbeatTimeout;

  @Option(names = "--replication-interval", defaultValue = "PT5M",
      description = "Delta cycle of protected VMs to the cloud (default: ${DEFAULT-VALUE}).")
  Duration replicationInterval;

  @Option(names = "--simulation",
      description = "Serve the SIMULATION-ONLY guest writer for cloud VMs (demos, tests).")
  boolean simulation;

  @Option(names = "--ca-dir",
      description = "The CA directory (ca.pem, ca.key) this controller signs agent enrollments"
          + " and certificate renewals with; without it agents are enrolled by hand.")
  Path caDir;

  @Option(names = "--cert-lifetime", defaultValue = "P7D",
      description = "Validity of the certificates it issues, ISO-8601, PT2M to P825D (default:"
          + " ${DEFAULT-VALUE}); agents renew at two thirds of it, counted from five minutes"
          + " before issue (the allowance for clocks that differ).")
  Duration certLifetime;

  private static final Duration MIN_CERT_LIFETIME = Duration.ofMinutes(2);
  private static final Duration MAX_CERT_LIFETIME = Duration.ofDays(825);

  @Option(names = "--cloud", defaultValue = "local-dir",
      description = "Where VMs fail over to: local-dir (embedded, simulated VMs) or kvm"
          + " (libvirt domains; see --libvirt-uri). Default: ${DEFAULT-VALUE}.")
  String cloudKind;

  @Option(names = "--cloud-dir", description = "The cloud's folder (default: <state-dir>/cloud,"
      + " or <state-dir>/kvm-cloud for kvm).")
  Path cloudDir;

  @Option(names = "--libvirt-uri", defaultValue = "qemu:///system",
      description = "libvirt connection of the kvm cloud, e.g. qemu:///embed?root=DIR to run"
          + " the QEMU driver in the controller (default: ${DEFAULT-VALUE}).")
  String libvirtUri;

  @Option(names = "--kvm-domain-type", defaultValue = "kvm",
      description = "kvm, or qemu (TCG emulation) where KVM is missing or broken"
          + " (default: ${DEFAULT-VALUE}).")
  String kvmDomainType;

  @Option(names = "--kvm-shutdown-timeout", defaultValue = "PT2M",
      description = "How long a kvm guest gets after the ACPI button before a hard stop"
          + " (default: ${DEFAULT-VALUE}).")
  Duration kvmShutdownTimeout;

  @Option(names = "--kvm-direct-kernel", paramLabel = "KERNEL,INITRD[,ARGS_FILE]",
      description = "Boot every kvm cloud VM from this kernel and initramfs of the"
          + " controller's host instead of its own disks (VMs whose disks hold no operating"
          + " system: a simulated host's, a demo's); the kernel command line is read from"
          + " ARGS_FILE at each start (default: console=ttyS0).")
  String kvmDirectKernel;

  @Mixin
  LogOptions logging = new LogOptions();

  @Mixin
  MetricsOptions metrics = new MetricsOptions();

  @Option(names = "--port-file",
      description = "Write the bound port here once listening (for scripts using port 0).")
  Path portFile;

  @Override
  public Integer call() throws IOException, StoreException, InterruptedException {
    requireOptions("--cert", "--key", "--ca");
    checkDurations();
    logging.apply();
    int colon = listen.lastIndexOf(':');
    if (colon < 0) {
      throw new ParameterException(spec.commandLine(),
          "--listen must be host:port, got '" + listen + "'");
    }
    ControllerConfig base = ControllerConfig.withDefaults(listen.substring(0, colon),
        Integer.parseInt(listen.substring(colon + 1)), stateDir, new TlsFiles(cert, key, ca))
        .withHeartbeat(heartbeatInterval, heartbeatTimeout);
    ControllerConfig config = new ControllerConfig(base.listenHost(), base.port(),
        base.stateDir(), base.tls(), trustDomain, base.heartbeatInterval(),
        base.heartbeatTimeout(), base.reloadPeriod(), base.peerRecheckPeriod(),
        replicationInterval, simulation, crl,
        transport(base), new ControllerConfig.Issuing(caDir, certLifetime), cloudChoice(),
        agentReturnTimeout, syncStallTimeout, metricsAddress(), storeLocation(),
        new LeaseSettings(advertiseAddress, leaseTtl, true), bandwidth());
    ControllerServer server = ControllerServer.start(config, Clock.systemUTC());
    try {
      writePortFile(server.port());
    } catch (IOException | RuntimeException e) {
      server.close();
      throw e;
    }
    // The port is bound and the jobs a previous process left are continuing.
    ControllerService.LIFETIME.run(
        () -> ServiceNotify.ready("active controller, listening on port " + server.port()),
        server::close);
    return 0;
  }

  /** A usage error naming the first duration option that cannot work, before anything starts. */
  private void checkDurations() {
    Map<String, Duration> positive = new LinkedHashMap<>();
    positive.put("--lease-ttl", leaseTtl);
    positive.put("--heartbeat-interval", heartbeatInterval);
    positive.put("--heartbeat-timeout", heartbeatTimeout);
    positive.put("--agent-return-timeout", agentReturnTimeout);
    positive.put("--sync-stall-timeout", syncStallTimeout);
    positive.put("--replication-interval", replicationInterval);
    positive.put("--kvm-shutdown-timeout", kvmShutdownTimeout);
    positive.forEach((option, value) -> {
      if (value.isNegative() || value.isZero()) {
        throw new ParameterException(spec.commandLine(),
            option + " must be longer than zero, got " + value);
      }
    });
    if (heartbeatTimeout.compareTo(heartbeatInterval) <= 0) {
      throw new ParameterException(spec.commandLine(), "--heartbeat-timeout (" + heartbeatTimeout
          + ") must be longer than --heartbeat-interval (" + heartbeatInterval
          + "): every host would go offline between two heartbeats");
    }
    if (certLifetime.compareTo(MIN_CERT_LIFETIME) < 0
        || certLifetime.compareTo(MAX_CERT_LIFETIME) > 0) {
      throw new ParameterException(spec.commandLine(), "--cert-lifetime must be PT2M (agents look"
          + " every 30 s and renew at two thirds of it) to P825D, got " + certLifetime);
    }
  }

  private io.failback.common.grpc.TransportLimits transport(ControllerConfig base) {
    if (!io.failback.common.grpc.TransportLimits.windowAllowed(uploadWindowMib * (1L << 20))) {
      throw new ParameterException(spec.commandLine(), "--upload-window-mib must be 0"
          + " (auto-tuned) or 1 to 256, got " + uploadWindowMib);
    }
    return base.transport().withControllerFlowControlWindow(uploadWindowMib << 20);
  }

  private io.failback.controller.bandwidth.ConfiguredLimit bandwidth() {
    try {
      return new io.failback.controller.bandwidth.ConfiguredLimit(BandwidthSchedule.parse(bandwidthLimit),
          bandwidthTimeZone == null ? ZoneId.systemDefault() : ZoneId.of(bandwidthTimeZone));
    } catch (IllegalArgumentException | java.time.DateTimeException e) {
      String option = e instanceof java.time.DateTimeException ? "--bandwidth-time-zone"
          : "--bandwidth-limit";
      throw new ParameterException(spec.commandLine(), option + ": " + e.getMessage());
    }
  }

  private StoreLocation storeLocation() {
    try {
      return storeOptions.location(System.getenv());
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), "--store: " + e.getMessage());
    }
  }

  private InetSocketAddress metricsAddress() {
    try {
      return metrics.address();
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), "--metrics-address: " + e.getMessage());
    }
  }

  private CloudChoice cloudChoice() {
    CloudChoice.Kind kind = switch (cloudKind) {
      case "local-dir" -> CloudChoice.Kind.LOCAL_DIR;
      case "kvm" -> CloudChoice.Kind.KVM;
      default -> throw new ParameterException(spec.commandLine(),
          "--cloud must be local-dir or kvm, got '" + cloudKind + "'");
    };
    if (!kvmDomainType.equals("kvm") && !kvmDomainType.equals("qemu")) {
      throw new ParameterException(spec.commandLine(),
          "--kvm-domain-type must be kvm or qemu, got '" + kvmDomainType + "'");
    }
    if (kvmDirectKernel == null) {
      return new CloudChoice(kind, cloudDir, libvirtUri, kvmDomainType, kvmShutdownTimeout);
    }
    try {
      return new CloudChoice(kind, cloudDir, libvirtUri, kvmDomainType, kvmShutdownTimeout,
          KernelBoot.parse(kvmDirectKernel));
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), "--kvm-direct-kernel: "
          + e.getMessage());
    }
  }

  private void requireOptions(String... names) {
    List<String> missing = new ArrayList<>();
    for (String name : names) {
      OptionSpec option = spec.findOption(name);
      if (option.getValue() == null) {
        missing.add("'" + name + "=" + option.paramLabel() + "'");
      }
    }
    if (!missing.isEmpty()) {
      throw new ParameterException(spec.commandLine(), "Missing required option"
          + (missing.size() > 1 ? "s: " : ": ") + String.join(", ", missing));
    }
  }

  /** Tells scripts the port once it listens; the rename makes the file appear whole. */
  private void writePortFile(int port) throws IOException {
    if (portFile != null) {
      Path tmp = portFile.resolveSibling(portFile.getFileName() + ".tmp");
      Files.writeString(tmp, Integer.toString(port), StandardCharsets.UTF_8);
      Files.move(tmp, portFile, StandardCopyOption.ATOMIC_MOVE,
          StandardCopyOption.REPLACE_EXISTING);
    }
  }

  /** The command line of {@code failback-controller}, errors printed as one line. */
  static CommandLine commandLine() {
    return ImplementationVersion.everywhere(ServiceCommands.addTo(
            new CommandLine(new ControllerMain()), ControllerService.DEFINITION)
            .addSubcommand("migrate-store", new MigrateStoreCommand()))
        .setExecutionExceptionHandler((e, cmd, parsed) -> {
          cmd.getErr().println("failback-controller: " + e.getMessage());
          return 1;
        })
        .setParameterExceptionHandler((e, args) -> {
          CommandLine cmd = e.getCommandLine();
          cmd.getErr().println(cmd.getCommandSpec().qualifiedName() + ": " + e.getMessage()
              + " (see --help)");
          return cmd.getCommandSpec().exitCodeOnInvalidInput();
        });
  }

  public static void main(String[] args) {
    LeakDetection.offUnlessSet();
    System.exit(ConfigFiles.execute(commandLine(), args, "FAILBACK_CONTROLLER_CONFIG", null));
  }
}
