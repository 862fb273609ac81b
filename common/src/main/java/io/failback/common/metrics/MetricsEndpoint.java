package io.failback.common.metrics;

import static java.util.Objects.requireNonNull;

import com.google.common.net.HostAndPort;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The plain-HTTP port for Prometheus and probes: {@code /metrics} (text exposition),
 * {@code /healthz} (the process answers) and {@code /readyz} (it does its job now). Nothing
 * else is served there: the API stays behind mutual TLS, and these three carry no secret.
 */
public final class MetricsEndpoint implements AutoCloseable {
  /** Prometheus' text exposition format. */
  static final String TEXT_FORMAT = "text/plain; version=0.0.4; charset=utf-8";

  private final HttpServer server;
  private final ExecutorService executor;

  /**
   * Why the process is not ready, or empty when it is.
   */
  @FunctionalInterface
  public interface Readiness {
    Optional<String> notReadyBecause();
  }

  private MetricsEndpoint(HttpServer server, ExecutorService executor) {
    this.server = server;
    this.executor = executor;
  }

  /**
   * Parses {@code PORT} (loopback), {@code HOST:PORT} or {@code [V6]:PORT}.
   *
   * @throws IllegalArgumentException naming what is wrong
   */
  public static InetSocketAddress parseAddress(String text) {
    String trimmed = text.trim();
    try {
      HostAndPort parsed = trimmed.matches("\\d+") ? HostAndPort.fromParts("127.0.0.1",
          Integer.parseInt(trimmed)) : HostAndPort.fromString(trimmed);
      if (!parsed.hasPort() || parsed.getHost().isEmpty()) {
        throw new IllegalArgumentException("no port");
      }
      return new InetSocketAddress(parsed.getHost(), parsed.getPort());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("metrics address '" + trimmed + "' is not PORT or"
          + " HOST:PORT (e.g. 127.0.0.1:9464): " + e.getMessage(), e);
    }
  }

  /** Binds {@code address} and serves until closed. */
  public static MetricsEndpoint start(InetSocketAddress address,
      PrometheusMeterRegistry registry, Readiness readiness) throws IOException {
    requireNonNull(registry, "registry");
    requireNonNull(readiness, "readiness");
    HttpServer server = HttpServer.create(address, 16);
    server.createContext("/", exchange -> {
      try (exchange) {
        serve(exchange, registry, readiness);
      }
    });
    // One thread: scrapes and probes are rare and short, and must not starve the real work.
    ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
      Thread thread = new Thread(r, "metrics-endpoint");
      thread.setDaemon(true);
      return thread;
    });
    server.setExecutor(executor);
    server.start();
    return new MetricsEndpoint(server, executor);
  }

  private static void serve(HttpExchange exchange, PrometheusMeterRegistry registry,
      Readiness readiness) throws IOException {
    String method = exchange.getRequestMethod();
    if (!method.equals("GET") && !method.equals("HEAD")) {
      reply(exchange, 405, "text/plain", "only GET and HEAD\n");
      return;
    }
    switch (exchange.getRequestURI().getPath()) {
      case "/metrics" -> reply(exchange, 200, TEXT_FORMAT, registry.scrape(TEXT_FORMAT));
      case "/healthz" -> reply(exchange, 200, "text/plain", "ok\n");
      case "/readyz" -> {
        Optional<String> why = readiness.notReadyBecause();
        reply(exchange, why.isPresent() ? 503 : 200, "text/plain",
            why.map(reason -> "not ready: " + reason + "\n").orElse("ready\n"));
      }
      default -> reply(exchange, 404, "text/plain",
          "not found; this port serves /metrics, /healthz and /readyz\n");
    }
  }

  private static void reply(HttpExchange exchange, int status, String type, String body)
      throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", type);
    boolean head = exchange.getRequestMethod().equals("HEAD");
    exchange.sendResponseHeaders(status, head ? -1 : bytes.length);
    if (!head) {
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    }
  }

  /** The bound address (the port when 0 was asked for). */
  public InetSocketAddress address() {
    return server.getAddress();
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
