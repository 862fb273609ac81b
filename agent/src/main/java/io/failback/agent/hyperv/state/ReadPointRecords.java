package io.failback.agent.hyperv.state;

import io.failback.agent.hyperv.HypervisorDriver;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The records {@link ReadPoints} keeps on the agent's disk, one per VM: the id of its open read
 * point, or {@code creating <instant>} while the host makes one. What a crash left there is
 * discarded on the host, then the record goes.
 */
final class ReadPointRecords {
  private static final Logger log = LoggerFactory.getLogger(ReadPointRecords.class);

  /** A record's content while its read point is being made, followed by when that began. */
  static final String CREATING = "creating ";

  private ReadPointRecords() {}

  /** Discards the read point recorded for a VM, then forgets it; returns the record. */
  static String discard(HypervisorDriver driver, Path dir, String vmKey) throws IOException {
    Path record = DurableFiles.vmFile(dir, vmKey);
    String content = Files.readString(record, StandardCharsets.UTF_8).strip();
    if (content.startsWith(CREATING)) {
      Instant since;
      try {
        since = Instant.parse(content.substring(CREATING.length()));
      } catch (DateTimeParseException e) {
        throw new IOException("read point record " + record + " is damaged: '" + content + "'");
      }
      log.info("discarding any read point of VM " + vmKey + " made since " + since
          + ": the last run stopped while making one");
      driver.discardReadPointsSince(vmKey, since);
    } else {
      log.info("discarding read point " + content + " of VM " + vmKey
          + ", left open by the last run");
      driver.discardReadPoint(vmKey, content);
    }
    forget(record);
    return content;
  }

  static void forget(Path record) throws IOException {
    Files.deleteIfExists(record);
    DurableFiles.syncDirectory(record.getParent());
  }
}
