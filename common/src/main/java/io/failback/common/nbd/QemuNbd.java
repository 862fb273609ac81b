package io.failback.common.nbd;

import java.io.Closeable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A qemu-nbd process serving one disk image on a Unix socket, read through {@link NbdClient}.
 *
 * <p>Started with {@code --fork}: qemu-nbd returns only once its socket listens, so there is no
 * race between starting it and connecting. Without {@code --persistent} it exits when its one
 * client disconnects; {@link #close} also kills it in case no client ever did.
 */
public final class QemuNbd implements Closeable {
  public static final String EXPORT = "disk";
  private static final long START_TIMEOUT_SECONDS = 60;

  private final Path socket;
  private final Path pidFile;
  private volatile boolean opened;

  private QemuNbd(Path socket, Path pidFile) {
    this.socket = socket;
    this.pidFile = pidFile;
  }

  /**
   * Serves {@code image} ({@code format} as QEMU names it: qcow2, raw, vhdx) on {@code socket}.
   *
   * @param bitmap a persistent dirty bitmap of the image to export too, or empty
   */
  public static QemuNbd serve(Path image, String format, boolean writable, Path socket,
      Optional<String> bitmap) throws IOException {
    Path pidFile = socket.resolveSibling(socket.getFileName() + ".pid");
    Files.deleteIfExists(socket);
    Files.deleteIfExists(pidFile);
    List<String> command = new ArrayList<>(List.of("qemu-nbd", "--fork",
        "--pid-file=" + pidFile, "--socket=" + socket, "--format=" + format,
        "--export-name=" + EXPORT, "--discard=unmap"));
    if (!writable) {
      command.add("--read-only");
    }
    bitmap.ifPresent(name -> command.add("--bitmap=" + name));
    command.add(image.toString());
    Process process;
    try {
      process = new ProcessBuilder(command).redirectErrorStream(true).start();
    } catch (IOException e) {
      throw new IOException("cannot run qemu-nbd (Debian package qemu-utils): " + e.getMessage(),
          e);
    }
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    try {
      if (!process.waitFor(START_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new IOException("qemu-nbd did not start within " + START_TIMEOUT_SECONDS + " s");
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted starting qemu-nbd", e);
    }
    if (process.exitValue() != 0) {
      throw new IOException("qemu-nbd could not serve " + image + ": " + output.strip());
    }
    return new QemuNbd(socket, pidFile);
  }

  /** Connects and negotiates {@code base:allocation} plus {@code contexts}. */
  public NbdBlockDevice open(boolean writable, List<String> contexts) throws IOException {
    List<String> all = new ArrayList<>(List.of(NbdBlockDevice.BASE_ALLOCATION));
    all.addAll(contexts);
    try {
      NbdClient client = NbdClient.connect(socket, EXPORT, all);
      opened = true;
      return new NbdBlockDevice(client, writable, this);
    } catch (IOException | RuntimeException e) {
      close();
      throw e;
    }
  }

  public Path socket() {
    return socket;
  }

  /**
   * Waits for qemu-nbd to exit (it does once its client disconnected, after finishing its
   * writes), killing it after 10 s, or at once when no client was ever opened.
   */
  @Override
  public void close() throws IOException {
    Optional<ProcessHandle> server = server();
    if (server.isPresent()) {
      ProcessHandle handle = server.get();
      boolean exited;
      try {
        exited = ExitWait.await(() -> ExitWait.running(handle),
            Duration.ofSeconds(opened ? 10 : 0));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        exited = false;
      }
      if (!exited) {
        // Not gone by itself (no client, or it hangs): nothing of a client's is left to finish.
        handle.destroyForcibly();
      }
    }
    Files.deleteIfExists(pidFile);
    Files.deleteIfExists(socket);
  }

  private Optional<ProcessHandle> server() throws IOException {
    if (!Files.exists(pidFile)) {
      return Optional.empty();
    }
    long pid = Long.parseLong(Files.readString(pidFile).strip());
    return ProcessHandle.of(pid).filter(h -> h.info().command().orElse("").contains("qemu-nbd"));
  }
}
