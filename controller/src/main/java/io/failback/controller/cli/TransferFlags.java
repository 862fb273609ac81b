package io.failback.controller.cli;

import io.failback.proto.v1.Compression;
import io.failback.proto.v1.TransferOptions;
import java.util.Locale;
import picocli.CommandLine.Option;

/** {@code --compression} and {@code --lanes-per-disk} as the request's transfer options. */
final class TransferFlags {
  static final String COMPRESSION_HELP = "auto (chosen per host from its measured link and"
      + " bandwidth limit), none, lz4, zstd or zstd:LEVEL (1-19). Default: auto.";

  private TransferFlags() {}

  /**
   * Both flags as a mixin, for the commands whose job's own transfers they shape: a failback's,
   * a protection's initial replication, a reverse replication's.
   */
  static final class JobTransfer {
    @Option(names = "--compression", defaultValue = "auto", description = "This job's own"
        + " transfers (a failback, an initial or reverse replication; not a failover to the"
        + " cloud, not the cycles after): " + COMPRESSION_HELP)
    String compression;

    @Option(names = "--lanes-per-disk", paramLabel = "N", defaultValue = "0",
        description = "The same transfers: parallel streams per disk, 1-16; more for a long,"
            + " fast link (an upload's lanes each have a connection of their own: 4 at 120 ms"
            + " and 1 Gbit/s). Default: the controller's choice, 2 for a download and for an"
            + " upload what the host's measured round trip needs (2 to 8).")
    int lanesPerDisk;

    TransferOptions options() {
      return TransferFlags.options(compression, lanesPerDisk);
    }
  }

  /**
   * @throws IllegalArgumentException naming the flag, for a value it does not take
   */
  static TransferOptions options(String compression, int lanesPerDisk) {
    TransferOptions.Builder options = TransferOptions.newBuilder().setLanesPerDisk(lanesPerDisk);
    String value = compression.toLowerCase(Locale.ROOT);
    if (value.startsWith("zstd:")) {
      String level = value.substring("zstd:".length());
      try {
        options.setCompression(Compression.COMPRESSION_ZSTD)
            .setCompressionLevel(Integer.parseUnsignedInt(level));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("--compression zstd:LEVEL takes a level 1-19, got '"
            + level + "'");
      }
      return options.build();
    }
    options.setCompression(switch (value) {
      case "auto" -> Compression.COMPRESSION_UNSPECIFIED;
      case "none" -> Compression.COMPRESSION_NONE;
      case "lz4" -> Compression.COMPRESSION_LZ4;
      case "zstd" -> Compression.COMPRESSION_ZSTD;
      default -> throw new IllegalArgumentException("--compression must be auto, none, lz4,"
          + " zstd or zstd:LEVEL, got '" + compression + "'");
    });
    return options.build();
  }
}
