package io.failback.controller.cli;

import io.failback.controller.tuning.BlockSize;
import io.failback.proto.v1.Compression;
import io.failback.proto.v1.TransferOptions;
import java.util.Locale;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code --compression}, {@code --lanes-per-disk} and {@code --block-size} as the request's
 * transfer options.
 */
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
        + " transfers (a failback, an initial or reverse replication, a failover's final sync;"
        + " not the cycles after): " + COMPRESSION_HELP)
    String compression;

    @Option(names = "--lanes-per-disk", paramLabel = "N", defaultValue = "0",
        description = "The same transfers: parallel streams per disk, 1-16; more for a long,"
            + " fast link (an upload's lanes each have a connection of their own: 4 at 120 ms"
            + " and 1 Gbit/s). Default: the controller's choice, 2 for a download and for an"
            + " upload what the host's measured round trip needs (2 to 8).")
    int lanesPerDisk;

    @Option(names = "--block-size", paramLabel = "SIZE", defaultValue = "auto",
        description = "The same transfers: the unit of digests and of what is sent for a"
            + " changed byte, a power of two from 4KiB to 1MiB. Smaller sends less for"
            + " scattered small writes and more digests; larger costs more for a small change"
            + " (docs/BENCHMARKS.md). Kept for the VM: its later cycles and jobs use it. A"
            + " change compares checksums once. Not on a failover to the cloud, whose final"
            + " sync keeps the VM's. Default: auto, the VM's (64KiB unless a job asked"
            + " otherwise; a first copy over a link of 250 Mbit/s or less gets 16KiB, as does"
            + " a failback with sync before failover under such a bandwidth limit).")
    String blockSize;

    @Spec(Spec.Target.MIXEE)
    CommandSpec command;

    /** The options; a value a flag does not take is a usage error (exit 2) naming the flag. */
    TransferOptions options() {
      try {
        return TransferFlags.options(compression, lanesPerDisk, blockSize);
      } catch (IllegalArgumentException e) {
        throw new ParameterException(command.commandLine(), e.getMessage());
      }
    }
  }

  /**
   * @throws IllegalArgumentException naming the flag, for a value it does not take
   */
  static TransferOptions options(String compression, int lanesPerDisk) {
    return options(compression, lanesPerDisk, "auto");
  }

  /**
   * @throws IllegalArgumentException naming the flag, for a value it does not take
   */
  static TransferOptions options(String compression, int lanesPerDisk, String blockSize) {
    TransferOptions.Builder options = TransferOptions.newBuilder().setLanesPerDisk(lanesPerDisk);
    if (!blockSize.equalsIgnoreCase("auto")) {
      long bytes = Sizes.parse("--block-size", blockSize);
      if (!BlockSize.valid(bytes)) {
        throw new IllegalArgumentException("--block-size must be a power of two from 4KiB to"
            + " 1MiB, got '" + blockSize + "'");
      }
      options.setBlockSize((int) bytes);
    }
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
