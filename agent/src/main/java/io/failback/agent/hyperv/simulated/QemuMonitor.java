package io.failback.agent.hyperv.simulated;

import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.SocketException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A QMP (QEMU Machine Protocol) connection to the QEMU of one VM: one command at a time,
 * asynchronous events skipped. Every read has a deadline, so a QEMU that hangs cannot hang
 * the agent; the caller then kills it.
 */
final class QemuMonitor implements AutoCloseable {
  /** QEMU's reply is one line; far more than a reply to the few commands used here. */
  private static final int MAX_LINE = 1 << 20;

  private final SocketChannel channel;
  private final Selector selector;
  private final ByteBuffer buffer = ByteBuffer.allocate(8192);
  private final ByteArrayOutputStream line = new ByteArrayOutputStream();

  private QemuMonitor(SocketChannel channel) throws IOException {
    this.channel = channel;
    channel.configureBlocking(false);
    this.selector = Selector.open();
    channel.register(selector, SelectionKey.OP_READ);
    buffer.flip();
  }

  /**
   * Connects to the monitor {@code socket} of {@code qemu}, waiting until it listens, and
   * negotiates capabilities.
   *
   * @throws IOException if QEMU exits first, or it does not answer within {@code timeout}
   */
  static QemuMonitor connect(Path socket, ProcessHandle qemu, Duration timeout)
      throws IOException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
      try {
        channel.connect(UnixDomainSocketAddress.of(socket));
      } catch (SocketException notYet) {
        channel.close();
        if (!qemu.isAlive()) {
          throw new IOException("QEMU (pid " + qemu.pid() + ") exited before its monitor "
              + socket + " opened");
        }
        if (System.nanoTime() > deadline) {
          throw new IOException("QEMU's monitor " + socket + " did not open within " + timeout);
        }
        // QEMU gives no other sign that its socket listens; it does within milliseconds.
        Thread.sleep(20);
        continue;
      }
      QemuMonitor monitor = new QemuMonitor(channel);
      try {
        Duration left = Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
        JsonObject greeting = monitor.readObject(left);
        if (!greeting.has("QMP")) {
          throw new IOException("not a QMP greeting: " + greeting);
        }
        monitor.execute("qmp_capabilities", left);
        return monitor;
      } catch (IOException | RuntimeException e) {
        monitor.close();
        throw e;
      }
    }
  }

  /**
   * Runs {@code command} without arguments and returns QEMU's answer ({@code "return"}).
   *
   * @throws IOException if QEMU answers with an error, closes or does not answer in time
   */
  JsonObject execute(String command, Duration timeout) throws IOException {
    JsonObject request = new JsonObject();
    request.addProperty("execute", command);
    ByteBuffer out = ByteBuffer.wrap((request + "\n").getBytes(StandardCharsets.UTF_8));
    while (out.hasRemaining()) {
      // A request is a few dozen bytes: the socket buffer always takes it at once.
      channel.write(out);
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      JsonObject answer = readObject(Duration.ofNanos(Math.max(0,
          deadline - System.nanoTime())));
      if (answer.has("return")) {
        return answer;
      }
      if (answer.has("error")) {
        throw new IOException("QMP " + command + " failed: " + answer.get("error"));
      }
      // An event (a guest's power-off, say): not the answer.
    }
  }

  private JsonObject readObject(Duration timeout) throws IOException {
    String text = readLine(timeout);
    try {
      return JsonParser.parseString(text).getAsJsonObject();
    } catch (JsonParseException | IllegalStateException e) {
      throw new IOException("QEMU's monitor sent something that is not a JSON object: " + text);
    }
  }

  private String readLine(Duration timeout) throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      while (buffer.hasRemaining()) {
        byte b = buffer.get();
        if (b == '\n') {
          String text = line.toString(StandardCharsets.UTF_8);
          line.reset();
          return text;
        }
        if (line.size() >= MAX_LINE) {
          throw new IOException("QEMU's monitor sent a line longer than " + MAX_LINE + " bytes");
        }
        line.write(b);
      }
      long left = deadline - System.nanoTime();
      if (left <= 0 || selector.select(Math.max(1, left / 1_000_000)) == 0
          && System.nanoTime() >= deadline) {
        throw new IOException("QEMU's monitor did not answer within " + timeout);
      }
      selector.selectedKeys().clear();
      buffer.clear();
      int read = channel.read(buffer);
      buffer.flip();
      if (read < 0) {
        throw new IOException("QEMU closed its monitor");
      }
    }
  }

  @Override
  public void close() throws IOException {
    try {
      selector.close();
    } finally {
      channel.close();
    }
  }
}
