package io.failback.common.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.jul.LevelChangePropagator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.rolling.RollingFileAppender;
import ch.qos.logback.core.rolling.SizeAndTimeBasedRollingPolicy;
import ch.qos.logback.core.util.FileSize;
import java.nio.file.Path;
import java.util.Locale;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * The processes' logging: every record (ours through the SLF4J API, and the libraries', those
 * of java.util.logging through the SLF4J bridge) goes to Logback as one line, in UTC ISO-8601 time, as text or JSON,
 * to stderr or a rolling file. gRPC's and Netty's internals speak from WARN only.
 */
public final class Logging {
  /** The text layout: time, level, logger, thread, structured fields, message, error. */
  static final String TEXT_PATTERN = "%d{yyyy-MM-dd'T'HH:mm:ss.SSSX,UTC} %-5level %logger{0}"
      + " [%thread]%replace( %mdc){' $', ''} %replace(%msg){'[\\r\\n]+', ' '}"
      + "%replace(%replace( %ex){'[\\r\\n]+\\s*', ' | '}){'^ $| \\| $', ''}%nopex%n";

  /** The field naming the on-prem host a record is about. */
  static final String HOST = "host";

  /** How records are written. */
  public enum Format { text, json }

  private Logging() {}

  /**
   * Replaces any configuration with {@code level}, {@code format} and the destination: a
   * rolling file (10 MiB each, 7 days, 100 MiB at most) or stderr when {@code file} is null.
   */
  public static void configure(String level, Format format, Path file) {
    Level parsed = parseLevel(level);
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    context.reset();
    // java.util.logging levels follow Logback's, so a FINE record is made only when wanted.
    LevelChangePropagator propagator = new LevelChangePropagator();
    propagator.setContext(context);
    propagator.setResetJUL(true);
    propagator.start();
    context.addListener(propagator);

    Encoder<ILoggingEvent> encoder = encoder(context, format);
    OutputStreamAppender<ILoggingEvent> appender = file == null ? console(context, encoder)
        : rollingFile(context, encoder, file);
    Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    root.setLevel(parsed);
    root.addAppender(appender);
    Level quiet = parsed.isGreaterOrEqual(Level.WARN) ? parsed : Level.WARN;
    context.getLogger("io.grpc").setLevel(quiet);
    context.getLogger("io.netty").setLevel(quiet);

    if (!SLF4JBridgeHandler.isInstalled()) {
      SLF4JBridgeHandler.removeHandlersForRootLogger();
      SLF4JBridgeHandler.install();
    }
  }

  /**
   * Names the host every record of this process is about (an agent's own host): the JSON
   * format carries it as {@code host} unless the record names another one.
   */
  public static void host(String host) {
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    context.putProperty(HOST, host);
  }

  /** error, warn, info, debug or trace, in any case. */
  public static Level parseLevel(String level) {
    return switch (level.toLowerCase(Locale.ROOT)) {
      case "error" -> Level.ERROR;
      case "warn" -> Level.WARN;
      case "info" -> Level.INFO;
      case "debug" -> Level.DEBUG;
      case "trace" -> Level.TRACE;
      default -> throw new IllegalArgumentException("--log-level must be error, warn, info,"
          + " debug or trace, got '" + level + "'");
    };
  }

  private static Encoder<ILoggingEvent> encoder(LoggerContext context, Format format) {
    if (format == Format.json) {
      JsonLineEncoder json = new JsonLineEncoder();
      json.setContext(context);
      json.start();
      return json;
    }
    PatternLayoutEncoder text = new PatternLayoutEncoder();
    text.setContext(context);
    text.setPattern(TEXT_PATTERN);
    text.start();
    return text;
  }

  private static OutputStreamAppender<ILoggingEvent> console(LoggerContext context,
      Encoder<ILoggingEvent> encoder) {
    ConsoleAppender<ILoggingEvent> console = new ConsoleAppender<>();
    console.setContext(context);
    console.setName("stderr");
    console.setTarget("System.err");
    console.setEncoder(encoder);
    console.start();
    return console;
  }

  private static OutputStreamAppender<ILoggingEvent> rollingFile(LoggerContext context,
      Encoder<ILoggingEvent> encoder, Path file) {
    RollingFileAppender<ILoggingEvent> appender = new RollingFileAppender<>();
    appender.setContext(context);
    appender.setName("file");
    appender.setFile(file.toString());
    SizeAndTimeBasedRollingPolicy<ILoggingEvent> policy = new SizeAndTimeBasedRollingPolicy<>();
    policy.setContext(context);
    policy.setParent(appender);
    policy.setFileNamePattern(file + ".%d{yyyy-MM-dd,UTC}.%i.gz");
    policy.setMaxFileSize(FileSize.valueOf("10MB"));
    policy.setMaxHistory(7);
    policy.setTotalSizeCap(FileSize.valueOf("100MB"));
    policy.start();
    appender.setRollingPolicy(policy);
    appender.setEncoder(encoder);
    appender.start();
    return appender;
  }
}
