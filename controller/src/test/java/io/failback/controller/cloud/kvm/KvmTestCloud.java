package io.failback.controller.cloud.kvm;

import io.failback.common.testing.guest.GuestConsole;
import io.failback.common.testing.guest.GuestScript;
import io.failback.common.testing.guest.TinyGuest;
import io.failback.controller.cloud.Cloud;
import io.failback.controller.cloud.CloudException;
import io.failback.controller.cloud.CloudVm;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A {@link KvmCloud} for tests: the embedded libvirt QEMU driver in a temporary root (no daemon),
 * TCG, and VMs that boot the tiny guest with the script set before each start.
 *
 * <p>Closing it destroys every VM still running, so no QEMU outlives the test.
 */
public final class KvmTestCloud implements AutoCloseable {
  private final KvmCloud cloud;
  private final KvmCloudOptions options;
  private final AtomicReference<GuestScript> scripts;
  private final AtomicBoolean stopConsoles = new AtomicBoolean();

  private KvmTestCloud(KvmCloud cloud, KvmCloudOptions options,
      AtomicReference<GuestScript> scripts) {
    this.cloud = cloud;
    this.options = options;
    this.scripts = scripts;
  }

  /**
   * Skips the test where qemu-system-x86_64 is absent (through {@link TinyGuest#require}). The
   * cloud's disks go below {@code dir}; libvirt's root is the JVM's one (see {@link #root}).
   */
  static KvmTestCloud open(Path dir, Duration shutdownTimeout) throws Exception {
    TinyGuest guest = TinyGuest.require();
    AtomicReference<GuestScript> script = new AtomicReference<>();
    KvmCloudOptions options = KvmCloudOptions
        .of("qemu:///embed?root=" + root(), dir.resolve("cloud"))
        .withDomainType("qemu").withShutdownTimeout(shutdownTimeout)
        .withBoot(vm -> Optional.ofNullable(script.getAndSet(null)).map(s ->
            new DirectKernelBoot(guest.kernel(), guest.initrd(), s.kernelCommandLine())));
    return new KvmTestCloud(KvmCloud.open(options, Clock.systemUTC()), options, script);
  }

  /** The same cloud opened again, as a controller started again would: it holds no handles. */
  KvmCloud reopened() throws CloudException {
    return KvmCloud.open(options, Clock.systemUTC());
  }

  private static Path root;

  /**
   * libvirt's embedded driver opens one root per process: one per test JVM, removed when it
   * exits (every test's VMs are off by then: {@link #close} stops them).
   */
  public static synchronized Path root() throws IOException {
    if (root == null) {
      root = Files.createTempDirectory("fb-libvirt-");
      Path created = root;
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        try (var paths = Files.walk(created)) {
          paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
          // A temporary folder: at worst it stays behind.
        }
      }));
    }
    return root;
  }

  KvmCloud cloud() {
    return cloud;
  }

  /** Starts the VM booting the tiny guest with {@code script}; its console from this boot on. */
  GuestConsole start(String vmId, GuestScript script) throws CloudException, IOException {
    return boot(vmId, script, () -> cloud.start(vmId));
  }

  /**
   * As {@link #start}, tracked from before the guest's first write: the point's id goes in
   * {@code trackingPoint[0]}.
   */
  GuestConsole startTracked(String vmId, GuestScript script, String[] trackingPoint)
      throws CloudException, IOException {
    return boot(vmId, script, () -> trackingPoint[0] = cloud.startTracked(vmId));
  }

  private interface Starting {
    void start() throws CloudException;
  }

  private GuestConsole boot(String vmId, GuestScript script, Starting starting)
      throws CloudException, IOException {
    Path log = cloud.vmDir(vmId).resolve("console.log");
    long from = Files.exists(log) ? Files.size(log) : 0;
    scripts.set(script);
    starting.start();
    // libvirt may truncate the log at start: then follow it from its beginning.
    long now = Files.exists(log) ? Files.size(log) : 0;
    return GuestConsole.followFile(log, now < from ? 0 : from, stopConsoles);
  }

  @Override
  public void close() throws Exception {
    stopConsoles.set(true);
    try {
      removeAll(cloud);
    } finally {
      cloud.close();
    }
  }

  /**
   * Stops and deletes every VM of {@code cloud}: libvirt's embedded root is shared by the JVM's
   * tests, and no QEMU may outlive its test.
   */
  public static void removeAll(Cloud cloud) throws CloudException {
    for (CloudVm vm : cloud.list()) {
      cloud.shutdown(vm.id());
      cloud.delete(vm.id());
    }
  }
}
