package io.failback.common.disk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs qemu-img and qemu-io, the independent oracle for the VHDX format. */
final class Qemu {
  record Result(int exitCode, String output) {}

  private Qemu() {}

  /** Runs a qemu tool and returns its exit code and merged stdout/stderr. */
  static Result run(String... command) throws IOException, InterruptedException {
    Process process;
    try {
      process = new ProcessBuilder(command).redirectErrorStream(true).start();
    } catch (IOException e) {
      // Failing, not skipping: without the oracle these tests would prove nothing.
      return fail(
          command[0]
              + " is not on PATH: install qemu-utils (apt-get install -y qemu-utils); the VHDX"
              + " tests use qemu as their independent oracle",
          e);
    }
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      fail(String.join(" ", command) + " did not finish within 60 s");
    }
    return new Result(process.exitValue(), output);
  }

  /** Runs a qemu tool and asserts that it succeeds. */
  static String runOk(String... command) throws IOException, InterruptedException {
    Result result = run(command);
    assertEquals(
        0, result.exitCode(), () -> String.join(" ", command) + " failed:\n" + result.output());
    return result.output();
  }

  /** {@code qemu-img create -f vhdx -o <options> <file> <size>}. */
  static void createVhdx(Path file, String options, String size)
      throws IOException, InterruptedException {
    runOk("qemu-img", "create", "-q", "-f", "vhdx", "-o", options, file.toString(), size);
  }

  /** {@code qemu-img info --output=json} of a VHDX file. */
  static JsonObject info(Path file) throws IOException, InterruptedException {
    String json = runOk("qemu-img", "info", "--output=json", "-f", "vhdx", file.toString());
    return JsonParser.parseString(json).getAsJsonObject();
  }

  /** Asserts that {@code qemu-img check} finds no errors in a VHDX file. */
  static void check(Path file) throws IOException, InterruptedException {
    String output = runOk("qemu-img", "check", "-f", "vhdx", file.toString());
    assertTrue(output.contains("No errors were found on the image."), output);
  }

  /** Asserts that a VHDX file and a raw image hold the same bytes, by qemu-img compare. */
  static void assertSameContent(Path vhdx, Path raw) throws IOException, InterruptedException {
    Result result =
        run("qemu-img", "compare", "-f", "vhdx", "-F", "raw", vhdx.toString(), raw.toString());
    assertEquals(0, result.exitCode(), () -> "qemu-img compare: " + result.output());
  }

  /** {@code qemu-img convert -f vhdx -O raw}. */
  static void convertToRaw(Path vhdx, Path raw) throws IOException, InterruptedException {
    runOk("qemu-img", "convert", "-f", "vhdx", "-O", "raw", vhdx.toString(), raw.toString());
  }

  /** Runs qemu-io with one {@code -c} per command; read-only when no command writes. */
  static Result io(Path file, List<String> commands) throws IOException, InterruptedException {
    List<String> command = new java.util.ArrayList<>(List.of("qemu-io", "-f", "vhdx"));
    if (commands.stream().noneMatch(c -> c.startsWith("write"))) {
      command.add("-r");
    }
    for (String c : commands) {
      command.add("-c");
      command.add(c);
    }
    command.add(file.toString());
    return run(command.toArray(String[]::new));
  }
}
