package io.failback.controller.cli;

import io.failback.proto.v1.TransferOptions;

/** The benchmarks' {@code -Dcompression}, read as the CLI reads {@code --compression}. */
public final class BenchFlags {
  private BenchFlags() {}

  public static TransferOptions compression() {
    return TransferFlags.options(System.getProperty("compression", "auto"), 0);
  }
}
