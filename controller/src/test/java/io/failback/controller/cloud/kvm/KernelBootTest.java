package io.failback.controller.cloud.kvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** --kvm-direct-kernel: the files must exist, and the arguments file is read at each start. */
class KernelBootTest {
  @TempDir Path dir;

  @Test
  void theArgumentsFileIsReadAtEachStart() throws Exception {
    Path kernel = Files.writeString(dir.resolve("vmlinuz"), "k");
    Path initrd = Files.writeString(dir.resolve("initrd.img"), "i");
    Path args = dir.resolve("args");
    KernelBoot boot = KernelBoot.parse(kernel + "," + initrd + "," + args);
    assertEquals(Optional.of(new DirectKernelBoot(kernel, initrd, "console=ttyS0")),
        boot.bootFor(null), "no file yet: the default");
    Files.writeString(args, "console=ttyS0 fb.run=s:vda:0:512\n");
    assertEquals("console=ttyS0 fb.run=s:vda:0:512",
        boot.bootFor(null).orElseThrow().commandLine());
    assertEquals("console=ttyS0", KernelBoot.parse(kernel + "," + initrd).bootFor(null)
        .orElseThrow().commandLine());
  }

  @Test
  void aBadSpecificationSaysWhatIsWrong() throws Exception {
    Path kernel = Files.writeString(dir.resolve("vmlinuz"), "k");
    assertTrue(assertThrows(IllegalArgumentException.class, () -> KernelBoot.parse(
        kernel.toString())).getMessage().contains("expected KERNEL,INITRD[,ARGS_FILE]"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> KernelBoot.parse(
        kernel + "," + dir.resolve("nope"))).getMessage().endsWith("nope is not a file"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> KernelBoot.parse(
        kernel + ",,x")).getMessage().contains("expected"));
  }
}
