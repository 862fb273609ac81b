package io.failback.controller.cloud.kvm;

import io.failback.controller.cloud.CloudException;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.libvirt.Connect;
import org.libvirt.Library;
import org.libvirt.LibvirtException;
import org.libvirt.jna.Libvirt;

/**
 * One libvirt connection and the event loop libvirt needs in this process.
 *
 * <p>The event loop is required by the embedded driver ({@code qemu:///embed?root=DIR}: the QEMU
 * driver runs in this JVM, it monitors its QEMU processes through it) and gives remote
 * connections their keep-alives. It is started once per JVM and runs on a daemon thread.
 */
final class LibvirtSession implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LibvirtSession.class);
  private static boolean eventLoopRunning;
  // libvirt's default handler prints every error to stderr, also those answered as exceptions
  // and expected (a network that does not exist). Held in a field: JNA must not lose it to GC.
  private static final Libvirt.VirErrorCallback SILENT = (userData, error) -> { };

  private final Connect connect;
  private final String uri;

  private LibvirtSession(Connect connect, String uri) {
    this.connect = connect;
    this.uri = uri;
  }

  static LibvirtSession open(String uri) throws CloudException {
    try {
      prepareEmbeddedRoot(uri);
      startEventLoop();
      return new LibvirtSession(new Connect(uri), uri);
    } catch (LibvirtException e) {
      throw CloudException.io(e, "cannot connect to libvirt at %s", uri);
    } catch (IOException e) {
      throw CloudException.io(e, "cannot prepare the embedded libvirt root of %s", uri);
    } catch (UnsatisfiedLinkError e) {
      throw CloudException.io(e, "cannot load libvirt (Debian package libvirt0) for %s", uri);
    }
  }

  private static synchronized void startEventLoop() throws LibvirtException {
    if (eventLoopRunning) {
      return;
    }
    Connect.setErrorCallback(SILENT);
    Library.initEventLoop();
    Thread loop = new Thread(() -> {
      try {
        Library.runEventLoop();
      } catch (LibvirtException | InterruptedException e) {
        LOG.error("the libvirt event loop stopped", e);
      }
    }, "libvirt-event-loop");
    loop.setDaemon(true);
    loop.start();
    eventLoopRunning = true;
  }

  /**
   * The embedded QEMU driver reads {@code DIR/etc/qemu.conf}. Without one, as root, it runs QEMU
   * as the user libvirt-qemu and sends QEMU's output to virtlogd, a daemon nothing starts here;
   * so a missing file is written: QEMU as the calling user, its output to plain files.
   */
  private static void prepareEmbeddedRoot(String uri) throws IOException {
    URI parsed = URI.create(uri);
    if (!"/embed".equals(parsed.getPath()) || parsed.getQuery() == null) {
      return;
    }
    for (String parameter : parsed.getQuery().split("&")) {
      if (parameter.startsWith("root=")) {
        Path root = Path.of(parameter.substring("root=".length()));
        Path conf = root.resolve("etc").resolve("qemu.conf");
        if (Files.exists(conf)) {
          return;
        }
        Files.createDirectories(conf.getParent());
        String text = "# Written by Failback's KVM cloud for the embedded QEMU driver.\n"
            + "stdio_handler = \"file\"\n";
        if (isRoot()) {
          text += "user = \"root\"\ngroup = \"root\"\n";
        }
        Files.writeString(conf, text, StandardCharsets.UTF_8);
      }
    }
  }

  private static boolean isRoot() throws IOException {
    return Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
  }

  Connect connect() {
    return connect;
  }

  String uri() {
    return uri;
  }

  @Override
  public void close() throws CloudException {
    try {
      connect.close();
    } catch (LibvirtException e) {
      throw CloudException.io(e, "cannot close the libvirt connection to %s", uri);
    }
  }
}
