package io.failback.common.nbd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The NBD client against qemu-nbd and qemu-storage-daemon, with qemu-img as the judge. */
class NbdClientTest {
  private static final int MIB = 1 << 20;

  @TempDir Path dir;

  @Test
  void writesReadsAndZeroesWhatQemuImgThenSees() throws Exception {
    Path image = qcow2("a.qcow2", "64M");
    byte[] data = random(40 * MIB + 4096, 1); // more than one 32 MiB request
    try (NbdBlockDevice disk = QemuNbd.serve(image, "qcow2", true, dir.resolve("a.sock"),
        Optional.empty()).open(true, List.of())) {
      assertEquals(64L * MIB, disk.size());
      assertTrue(disk.isKnownZero(0, 64L * MIB), "a new qcow2 is all holes");
      disk.write(MIB, ByteBuffer.wrap(data));
      disk.writeZeroes(2 * MIB, MIB);
      disk.flush();
      assertFalse(disk.isKnownZero(MIB, 4096));
      assertTrue(disk.isKnownZero(50L * MIB, 4096));

      ByteBuffer back = ByteBuffer.allocate(data.length + 2 * MIB);
      disk.read(0, back);
      byte[] expected = new byte[data.length + 2 * MIB];
      System.arraycopy(data, 0, expected, MIB, data.length);
      java.util.Arrays.fill(expected, 2 * MIB, 3 * MIB, (byte) 0);
      assertArrayEquals(expected, back.array(), "holes and data read back at their offsets");
      ByteBuffer direct = ByteBuffer.allocateDirect(4096);
      disk.read(MIB, direct);
      assertEquals(ByteBuffer.wrap(data, 0, 4096), direct.flip());
    }
    Path raw = dir.resolve("a.raw");
    byte[] whole = new byte[64 * MIB];
    System.arraycopy(data, 0, whole, MIB, data.length);
    java.util.Arrays.fill(whole, 2 * MIB, 3 * MIB, (byte) 0);
    Files.write(raw, whole);
    run("qemu-img", "compare", "-f", "qcow2", "-F", "raw", image.toString(), raw.toString());
  }

  @Test
  void aReadOnlyExportIsProbedAheadOnceAndAnswersEachChunkAsTheServerWould() throws Exception {
    Path image = qcow2("z.qcow2", "64M");
    try (NbdBlockDevice disk = QemuNbd.serve(image, "qcow2", true, dir.resolve("zw.sock"),
        Optional.empty()).open(true, List.of())) {
      disk.write(3L * MIB + 4096, ByteBuffer.wrap(random(8192, 4)));
      disk.write(40L * MIB, ByteBuffer.wrap(random(2 * MIB, 5)));
      disk.write(63L * MIB + 512, ByteBuffer.wrap(random(512, 6)));
      disk.flush();
    }
    boolean[] expected = new boolean[64];
    java.util.Arrays.fill(expected, true);
    for (int chunk : new int[] {3, 40, 41, 63}) {
      expected[chunk] = false;
    }
    try (NbdBlockDevice disk = QemuNbd.serve(image, "qcow2", false, dir.resolve("zr.sock"),
        Optional.empty()).open(false, List.of())) {
      for (int chunk = 0; chunk < 64; chunk++) {
        assertEquals(expected[chunk], disk.isKnownZero((long) chunk * MIB, MIB), "chunk " + chunk);
      }
      assertTrue(disk.isKnownZero(10L * MIB, 30L * MIB));
      assertFalse(disk.isKnownZero(10L * MIB, 31L * MIB));
      // The whole 64 MiB was described by the first answer: no round trip per chunk.
      assertEquals(1, disk.client().blockStatusRequests());
    }
  }

  @Test
  void aWritableExportIsAskedEveryTimeSoItsOwnWritesShow() throws Exception {
    Path image = qcow2("w.qcow2", "16M");
    try (NbdBlockDevice disk = QemuNbd.serve(image, "qcow2", true, dir.resolve("ww.sock"),
        Optional.empty()).open(true, List.of())) {
      assertTrue(disk.isKnownZero(MIB, MIB));
      disk.write(MIB, ByteBuffer.wrap(random(4096, 7)));
      disk.flush();
      assertFalse(disk.isKnownZero(MIB, MIB));
      assertEquals(2, disk.client().blockStatusRequests());
    }
  }

  @Test
  void reportsTheDirtyBitmapsGranulesThroughBlockStatus() throws Exception {
    Path image = qcow2("b.qcow2", "16M");
    run("qemu-img", "bitmap", "--add", "--granularity", "65536", image.toString(), "since");
    try (NbdBlockDevice disk = QemuNbd.serve(image, "qcow2", true, dir.resolve("w.sock"),
        Optional.empty()).open(true, List.of())) {
      disk.write(3 * 65536 + 512, ByteBuffer.wrap(random(512, 2)));
      disk.write(10 * 65536, ByteBuffer.wrap(random(2 * 65536, 3)));
    }
    // An enabled bitmap cannot be exported read-only: freeze it first, as a checkpoint does.
    run("qemu-img", "bitmap", "--disable", image.toString(), "since");
    String context = "qemu:dirty-bitmap:since";
    try (NbdBlockDevice disk = QemuNbd.serve(image, "qcow2", false, dir.resolve("r.sock"),
        Optional.of("since")).open(false, List.of(context))) {
      List<long[]> dirty = new ArrayList<>();
      for (long at = 0; at < disk.size(); ) {
        List<NbdExtent> extents = disk.client().blockStatus(context, at, (int) (disk.size() - at));
        for (NbdExtent e : extents) {
          if (e.has(NbdExtent.DIRTY)) {
            dirty.add(new long[] {e.offset(), e.length()});
          }
        }
        at = extents.get(extents.size() - 1).end();
      }
      assertEquals(List.of("196608+65536", "655360+131072"),
          dirty.stream().map(r -> r[0] + "+" + r[1]).toList());
      IOException refused = assertThrows(IOException.class,
          () -> disk.client().write(0, ByteBuffer.wrap(new byte[512])));
      assertTrue(refused instanceof NbdException, refused.toString());
    }
  }

  @Test
  void readsAnExportOfQemuStorageDaemonAndReportsServerErrors() throws Exception {
    Path image = qcow2("c.qcow2", "8M");
    byte[] data = random(MIB, 4);
    Path seed = dir.resolve("seed.raw");
    Files.write(seed, data);
    run("qemu-img", "dd", "-f", "raw", "-O", "qcow2", "if=" + seed, "of=" + image, "bs=1M",
        "count=1");
    Path socket = dir.resolve("qsd.sock");
    Path pid = dir.resolve("qsd.pid");
    run("qemu-storage-daemon", "--daemonize", "--pidfile", pid.toString(),
        "--blockdev", "driver=file,node-name=file,filename=" + image,
        "--blockdev", "driver=qcow2,node-name=disk,file=file",
        "--nbd-server", "addr.type=unix,addr.path=" + socket,
        "--export", "type=nbd,id=e0,node-name=disk,name=vda,writable=off");
    long daemon = Long.parseLong(Files.readString(pid).strip());
    try (NbdClient client = NbdClient.connect(socket, "vda", List.of())) {
      assertTrue(client.readOnly());
      ByteBuffer back = ByteBuffer.allocate(MIB);
      client.read(0, back);
      assertArrayEquals(data, back.array());
      NbdException beyond = assertThrows(NbdException.class,
          () -> client.read(client.size(), ByteBuffer.allocate(512)));
      assertEquals(22, beyond.error(), "EINVAL past the end");
      ByteBuffer after = ByteBuffer.allocate(512);
      client.read(0, after);
      assertEquals(ByteBuffer.wrap(data, 0, 512), after.flip(), "the connection survives");
    } finally {
      ProcessHandle.of(daemon).ifPresent(ProcessHandle::destroy);
    }
    try (QemuNbd server = QemuNbd.serve(qcow2("d.qcow2", "1M"), "qcow2", false,
        dir.resolve("d.sock"), Optional.empty())) {
      NbdException unknown = assertThrows(NbdException.class,
          () -> NbdClient.connect(server.socket(), "nope", List.of()));
      assertTrue(unknown.getMessage().contains("refused option 7"), unknown.getMessage());
    }
  }

  private Path qcow2(String name, String size) throws IOException, InterruptedException {
    Path image = dir.resolve(name);
    run("qemu-img", "create", "-q", "-f", "qcow2", image.toString(), size);
    return image;
  }

  private static byte[] random(int length, long seed) {
    byte[] data = new byte[length];
    new Random(seed).nextBytes(data);
    return data;
  }

  private static void run(String... command) throws IOException, InterruptedException {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes());
    assertTrue(process.waitFor(60, TimeUnit.SECONDS), String.join(" ", command));
    assertEquals(0, process.exitValue(), () -> String.join(" ", command) + ":\n" + output);
  }
}
