package io.failback.controller.bench;

import io.failback.certs.PkiDirectory;
import io.failback.common.tls.TlsFiles;
import io.failback.controller.ControllerServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** What the benchmarks share: the agent as its own process, and a few shell steps. */
final class BenchSetup {
  private BenchSetup() {}

  static Process startAgent(Path data, int port, TlsFiles tls, Path host) throws IOException {
    ProcessBuilder builder = new ProcessBuilder(Path.of("bin/failback-agent").toAbsolutePath()
        .toString(), "run", "--controller", "localhost:" + port, "--cert",
        tls.certificate().toString(), "--key", tls.privateKey().toString(), "--ca",
        tls.trustBundle().toString(), "--host-dir", host.toString(), "--upload-connections",
        System.getProperty("upload.connections",
            "" + io.failback.common.grpc.TransportLimits.AGENT_UPLOAD_CONNECTIONS),
        // -Ddownload.window.mib: the agent's --download-window-mib (its connection's window).
        "--download-window-mib", System.getProperty("download.window.mib",
            "" + (io.failback.common.grpc.TransportLimits.AGENT_FLOW_CONTROL_WINDOW >> 20)))
        .redirectErrorStream(true).redirectOutput(data.resolve("agent.log").toFile());
    builder.environment().put("JAVA_OPTS", "-Xmx256m " + System.getProperty("agent.opts", ""));
    return builder.start();
  }

  static void awaitOnline(ControllerServer controller, Process agent) throws Exception {
    for (int i = 0; i < 600 && !controller.registry().isOnline("bench-host"); i++) {
      if (!agent.isAlive()) {
        throw new IllegalStateException("agent exited; see agent.log");
      }
      Thread.sleep(100);
    }
  }

  static String peakRss(Process agent) throws IOException {
    // The launcher execs java, so the process is the agent's JVM itself.
    for (String line : Files.readAllLines(Path.of("/proc", Long.toString(agent.pid()),
        "status"))) {
      if (line.startsWith("VmHWM:")) {
        return line.substring("VmHWM:".length()).trim();
      }
    }
    return "unknown";
  }

  static void run(String... command) throws Exception {
    Process process = new ProcessBuilder(command).inheritIO().start();
    if (process.waitFor() != 0) {
      throw new IOException(String.join(" ", command) + " failed");
    }
  }

  /**
   * Reads {@code image} once, so that it is in the page cache as the set-up promises; logs how
   * much of it was before (util-linux fincore), since the images together may exceed the cache.
   */
  static void warm(Path image) throws Exception {
    Process fincore = new ProcessBuilder("fincore", "-b", "-n", "-o", "RES,SIZE",
        image.toString()).redirectErrorStream(true).start();
    log("page-cached before warming " + image.getFileName() + " (bytes cached, size): "
        + new String(fincore.getInputStream().readAllBytes()).trim());
    fincore.waitFor();
    try (var channel = java.nio.channels.FileChannel.open(image)) {
      java.nio.ByteBuffer buffer = java.nio.ByteBuffer.allocateDirect(1 << 20);
      while (channel.read(buffer) >= 0) {
        buffer.clear();
      }
    }
  }

  static void copy(Path from, Path to) throws Exception {
    Process process = new ProcessBuilder("cp", "--sparse=always", from.toString(), to.toString())
        .inheritIO().start();
    if (process.waitFor() != 0) {
      throw new IOException("cp failed");
    }
  }

  /** The controller's and the bench host's TLS files. */
  record Identities(TlsFiles controller, TlsFiles agent) {}

  /** Empties {@code data}, then makes a CA in it and the controller's and agent's identities. */
  static Identities freshData(Path data) throws Exception {
    deleteTree(data);
    Files.createDirectories(data);
    PkiDirectory pki = PkiDirectory.create(data.resolve("pki"), "failback.bench",
        java.time.Clock.systemUTC());
    return new Identities(files(pki, pki.issue(io.failback.certs.Role.CONTROLLER, "controller",
        java.util.List.of("localhost"), java.util.List.of("127.0.0.1"),
        java.time.Duration.ofDays(1))), files(pki, pki.issue(io.failback.certs.Role.AGENT,
            "bench-host", java.util.List.of(), java.util.List.of(),
            java.time.Duration.ofDays(1))));
  }

  /** Gives the bench host an encryption certificate, before its agent starts. */
  static void holdEncryptionCertificate(Path host) throws IOException {
    io.failback.certs.EncryptionCertificates.create("bench-host", java.time.Duration.ofDays(30),
        java.time.Clock.systemUTC()).write(host.resolve(".agent").resolve("encryption"));
  }

  /** A job key wrapped for the certificate the bench host reported. */
  static io.failback.controller.sync.JobEncryption encryption(ControllerServer controller)
      throws Exception {
    var reported = controller.registry().host("bench-host").orElseThrow().getInventory()
        .getEncryptionCertificates(0);
    return io.failback.controller.sync.JobEncryption.forCertificate(reported, "bench",
        java.time.Instant.now());
  }

  static TlsFiles files(PkiDirectory pki, PkiDirectory.IssuedIdentity identity) {
    return new TlsFiles(identity.certificate(), identity.privateKey(), pki.caCertificate());
  }

  /**
   * One session from the controller's {@code local} disk into the agent's {@code remote} one,
   * with the engine's defaults or the {@code -D} knobs lanes, window, batch, batchesPerEnd and
   * compress; fails unless both ends' digests match.
   */
  static io.failback.controller.sync.SyncOutcome sync(ControllerServer controller, Path local,
      Path remote, io.failback.proto.v1.SyncMode mode, String id, long size) throws Exception {
    return sync(controller, local, remote, mode, id, size, null);
  }

  /** As the other, the payloads sealed end to end under {@code encryption} (null: plain). */
  static io.failback.controller.sync.SyncOutcome sync(ControllerServer controller, Path local,
      Path remote, io.failback.proto.v1.SyncMode mode, String id, long size,
      io.failback.controller.sync.JobEncryption encryption) throws Exception {
    return sync(controller, local, remote, mode, id, size, encryption,
        io.failback.proto.v1.SyncRole.TARGET);
  }

  /**
   * As the others, the agent in {@code agentRole}: as the SOURCE it reads {@code remote} and
   * the controller writes {@code local} (an upload: protection's direction).
   */
  static io.failback.controller.sync.SyncOutcome sync(ControllerServer controller, Path local,
      Path remote, io.failback.proto.v1.SyncMode mode, String id, long size,
      io.failback.controller.sync.JobEncryption encryption,
      io.failback.proto.v1.SyncRole agentRole) throws Exception {
    return sync(controller, local, remote, mode, id, size, encryption, agentRole, "", null);
  }

  /**
   * As the others, the controller the source, recording (DELTA) or reading (TRACKED) the digest
   * set {@code digestSet} on both sides: a TRACKED session sends the blocks {@code changed}
   * names where they differ from what was recorded, as phase 2 does.
   */
  static io.failback.controller.sync.SyncOutcome sync(ControllerServer controller, Path local,
      Path remote, io.failback.proto.v1.SyncMode mode, String id, long size, String digestSet,
      java.util.BitSet changed) throws Exception {
    return sync(controller, local, remote, mode, id, size, null,
        io.failback.proto.v1.SyncRole.TARGET, digestSet, changed);
  }

  /** A batch's bytes, as the controller's sessions have them at any block size. */
  private static final int BATCH_BYTES = 16 << 20;

  /** The sessions' block size: -DblockSize=BYTES, else the images' 64 KiB. */
  static int blockSize() {
    return Integer.getInteger("blockSize", BenchImages.BLOCK);
  }

  private static io.failback.controller.sync.SyncOutcome sync(ControllerServer controller,
      Path local, Path remote, io.failback.proto.v1.SyncMode mode, String id, long size,
      io.failback.controller.sync.JobEncryption encryption,
      io.failback.proto.v1.SyncRole agentRole, String digestSet, java.util.BitSet changed)
      throws Exception {
    var parameters = io.failback.proto.v1.SyncParameters.newBuilder().setSessionId(id)
        .setDigestSet(digestSet)
        .setMode(mode).setDigestAlgorithm(io.failback.proto.v1.DigestAlgorithm.XXH3_128)
        // A digest set is read with the seed it was recorded with.
        .setDigestSeed(digestSet.isEmpty() ? System.nanoTime() : digestSet.hashCode())
        .setBlockSize(blockSize())
        .setBlocksPerBatch(Integer.getInteger("batch", BATCH_BYTES / blockSize()))
        .setDiskSize(size)
        .setLaneCount(Integer.getInteger("lanes", 2))
        .setWindowBatches(Integer.getInteger("window",
            io.failback.controller.tuning.BatchWindow.BATCHES))
        // -DbatchesPerEnd=1: every session ends every batch on its own, as before runs.
        .setBatchesPerEnd(Integer.getInteger("batchesPerEnd",
            io.failback.controller.tuning.BatchWindow.batchesPerEnd(mode)))
        .setCompress(Boolean.parseBoolean(System.getProperty("compress", "true")))
        // -Dcompression=none|lz4|zstd|zstd:LEVEL overrides -Dcompress.
        .setCompression(io.failback.controller.cli.BenchFlags.compression()
            .getCompression())
        .setCompressionLevel(io.failback.controller.cli.BenchFlags.compression()
            .getCompressionLevel()).build();
    boolean upload = agentRole == io.failback.proto.v1.SyncRole.SOURCE;
    try (var device = io.failback.common.disk.BlockDevices.open(local, upload)) {
      var outcome = controller.syncs().sync("bench-host", io.failback.proto.v1.StartSync
              .newBuilder().setParameters(parameters)
              .setAgentRole(agentRole).setDiskPath(remote.toString())
              .build(), device, java.util.Map.of(), checkpoint -> { },
          new io.failback.common.sync.SyncProgress(), changed, encryption)
          .get(1, java.util.concurrent.TimeUnit.HOURS);
      if (!outcome.digestsMatch()) {
        throw new IllegalStateException("digests differ: " + outcome);
      }
      log(id + ": " + outcome.controller().progress() + " / agent " + outcome.agent());
      return outcome;
    }
  }

  static void log(String message) {
    System.err.println("[bench] " + message);
  }

  static void deleteTree(Path dir) throws IOException {
    if (Files.exists(dir)) {
      try (var paths = Files.walk(dir)) {
        paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }
}
