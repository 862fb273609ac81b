package io.failback.common.testing.guest;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A minimal QMP (QEMU Machine Protocol) client for tests: one command at a time, events skipped.
 *
 * <p>QEMU dials in ({@code -qmp unix:PATH}) to a socket this side listens on, so there is no race
 * between QEMU creating a socket and the test connecting to it.
 */
public final class Qmp implements AutoCloseable {
  private final SocketChannel channel;
  private final BufferedReader in;

  private Qmp(SocketChannel channel) {
    this.channel = channel;
    this.in = new BufferedReader(
        new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
  }

  /** Listens on {@code socket}; {@link Listener#accept} then waits for QEMU to dial in. */
  public static Listener listen(Path socket) throws IOException {
    Files.deleteIfExists(socket);
    ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(socket));
    return new Listener(server, socket);
  }

  /** A listening socket QEMU has not dialled yet. */
  public static final class Listener implements AutoCloseable {
    private final ServerSocketChannel server;
    private final Path socket;

    private Listener(ServerSocketChannel server, Path socket) {
      this.server = server;
      this.socket = socket;
    }

    /** Waits for QEMU's connection and negotiates capabilities. */
    public Qmp accept(Duration timeout) throws IOException, InterruptedException {
      CompletableFuture<SocketChannel> accepted = CompletableFuture.supplyAsync(() -> {
        try {
          return server.accept();
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
      try {
        Qmp qmp = new Qmp(accepted.get(timeout.toMillis(), TimeUnit.MILLISECONDS));
        qmp.readObject(); // the greeting
        qmp.execute("qmp_capabilities", null);
        return qmp;
      } catch (TimeoutException | ExecutionException e) {
        throw new IOException("QEMU did not connect to QMP at " + socket, e);
      } finally {
        close();
      }
    }

    @Override
    public void close() throws IOException {
      server.close();
      Files.deleteIfExists(socket);
    }
  }

  /** Runs a command and returns its "return" value; an "error" answer throws. */
  public synchronized JsonElement execute(String command, JsonObject arguments)
      throws IOException {
    JsonObject request = new JsonObject();
    request.addProperty("execute", command);
    if (arguments != null) {
      request.add("arguments", arguments);
    }
    byte[] bytes = (request + "\n").getBytes(StandardCharsets.UTF_8);
    ByteBuffer buffer = ByteBuffer.wrap(bytes);
    while (buffer.hasRemaining()) {
      channel.write(buffer);
    }
    while (true) {
      JsonObject answer = readObject();
      if (answer.has("return")) {
        return answer.get("return");
      }
      if (answer.has("error")) {
        throw new IOException("QMP " + command + ": " + answer.get("error"));
      }
      // An asynchronous event: not the answer.
    }
  }

  private JsonObject readObject() throws IOException {
    String line = in.readLine();
    if (line == null) {
      throw new IOException("QMP connection closed");
    }
    return JsonParser.parseString(line).getAsJsonObject();
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
