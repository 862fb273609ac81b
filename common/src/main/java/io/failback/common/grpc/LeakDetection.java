package io.failback.common.grpc;

/**
 * Netty's buffer leak detection in the long-running processes (controller, agent): off unless
 * the operator sets it.
 *
 * <p>By default Netty tracks one buffer in 128 with a stack trace of where it was allocated
 * and touched. A sync allocates a transport buffer per 64 KiB block, so that sampling cost a
 * full download about 0.1 s of CPU per GiB on each end, spent building stack traces
 * (docs/BENCHMARKS.md). Tests keep Netty's default, where a leak fails loudly; an operator
 * chasing one sets {@code -Dio.grpc.netty.shaded.io.netty.leakDetection.level=paranoid} in
 * {@code JAVA_OPTS}, which this leaves alone.
 */
public final class LeakDetection {
  /** The property grpc-netty-shaded's relocated Netty reads, once, when it first loads. */
  static final String LEVEL = "io.grpc.netty.shaded.io.netty.leakDetection.level";

  private LeakDetection() {}

  /** Turns leak detection off unless set already; call before the first gRPC channel. */
  public static void offUnlessSet() {
    if (System.getProperty(LEVEL) == null) {
      System.setProperty(LEVEL, "disabled");
    }
  }
}
