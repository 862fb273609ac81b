package io.failback.common.logging;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.encoder.EncoderBase;
import com.google.gson.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Instant;

/**
 * One JSON object per line: {@code time} (UTC ISO-8601), {@code level}, {@code logger},
 * {@code thread}, {@code message}, the structured fields ({@code job_id}, {@code vm_id},
 * {@code host}, ...) at the top level, and {@code error} with the stack trace. Gson escapes.
 */
public final class JsonLineEncoder extends EncoderBase<ILoggingEvent> {
  @Override
  public byte[] headerBytes() {
    return null;
  }

  @Override
  public byte[] encode(ILoggingEvent event) {
    JsonObject line = new JsonObject();
    line.addProperty("time", Instant.ofEpochMilli(event.getTimeStamp()).toString());
    line.addProperty("level", event.getLevel().toString());
    line.addProperty("logger", event.getLoggerName());
    line.addProperty("thread", event.getThreadName());
    event.getMDCPropertyMap().forEach((key, value) -> {
      if (!line.has(key)) {
        line.addProperty(key, value);
      }
    });
    String host = event.getLoggerContextVO() == null ? null
        : event.getLoggerContextVO().getPropertyMap().get(Logging.HOST);
    if (host != null && !line.has(Logging.HOST)) {
      line.addProperty(Logging.HOST, host);
    }
    line.addProperty("message", event.getFormattedMessage());
    if (event.getThrowableProxy() != null) {
      line.addProperty("error", ThrowableProxyUtil.asString(event.getThrowableProxy()));
    }
    return (line + "\n").getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public byte[] footerBytes() {
    return null;
  }
}
