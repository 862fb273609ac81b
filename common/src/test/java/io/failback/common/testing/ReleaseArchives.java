package io.failback.common.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Reads the release archives that {@code package} built and the README that describes them;
 * for the {@code *IT} tests that run after {@code package}.
 */
public final class ReleaseArchives {
  private static final Pattern CODE = Pattern.compile("`([^`]+)`");

  private ReleaseArchives() {}

  /** The version being built, from failsafe's system properties. */
  public static String version() {
    String version = System.getProperty("project.version");
    assertTrue(version != null && !version.isBlank(), "failsafe sets project.version");
    return version;
  }

  /** The README's promise for {@code archive} (named with VERSION): its "contents" cell items. */
  public static List<String> readmeContents(Path readme, String archive) throws IOException {
    String text = Files.readString(readme);
    int install = text.indexOf("\n## Install");
    assertTrue(install >= 0, "README has an Install section");
    for (String line : text.substring(install).lines().toList()) {
      if (line.startsWith("| `" + archive + "`")) {
        String[] cells = line.split("\\|");
        List<String> items = new ArrayList<>();
        Matcher code = CODE.matcher(cells[2]);
        while (code.find()) {
          items.add(code.group(1));
        }
        assertFalse(items.isEmpty(), "README lists contents for " + archive);
        return items;
      }
    }
    throw new AssertionError("README's Install table has no row for `" + archive + "`");
  }

  /** Entry names of a zip below its single top folder; folders end with '/'. */
  public static TreeSet<String> zipEntries(Path zip, String top) throws IOException {
    TreeSet<String> names = new TreeSet<>();
    try (ZipFile file = new ZipFile(zip.toFile())) {
      Enumeration<? extends ZipEntry> entries = file.entries();
      while (entries.hasMoreElements()) {
        names.add(below(entries.nextElement().getName(), top));
      }
    }
    return names;
  }

  /** One zip entry's bytes. */
  public static byte[] zipEntry(Path zip, String name) throws IOException {
    try (ZipFile file = new ZipFile(zip.toFile())) {
      ZipEntry entry = file.getEntry(name);
      assertTrue(entry != null, zip + " has " + name);
      return file.getInputStream(entry).readAllBytes();
    }
  }

  /** Entry names of a .tar.gz below its single top folder (read with tar itself). */
  public static TreeSet<String> tarEntries(Path tarGz, String top) throws IOException {
    TreeSet<String> names = new TreeSet<>();
    for (String line : run(List.of("tar", "-tzf", tarGz.toString()), null, Map.of()).lines()
        .toList()) {
      names.add(below(line, top));
    }
    return names;
  }

  /** Unpacks a .tar.gz into {@code into}; returns its top folder. */
  public static Path extractTar(Path tarGz, Path into, String top) throws IOException {
    run(List.of("tar", "-xzf", tarGz.toString(), "-C", into.toString()), null, Map.of());
    return into.resolve(top);
  }

  /** Every README item is in {@code entries}: a file by name, a folder ending in '/' non-empty. */
  public static void assertHas(TreeSet<String> entries, List<String> items, String archive) {
    for (String item : items) {
      boolean present = item.endsWith("/")
          ? entries.stream().anyMatch(e -> e.startsWith(item) && !e.equals(item))
          : entries.contains(item);
      assertTrue(present, archive + " lacks " + item + " that README promises; it has "
          + entries);
    }
  }

  /**
   * Runs {@code systemd-analyze verify} on a unit whose install folder {@code /opt/NAME} is
   * replaced by {@code home}, so the ExecStart it checks is the unpacked launcher.
   */
  public static void assertUnitVerifies(Path unit, String optDir, Path home, Path work)
      throws IOException {
    Path copy = work.resolve(unit.getFileName());
    Files.writeString(copy, Files.readString(unit).replace(optDir, home.toString()));
    String output = run(List.of("systemd-analyze", "verify", copy.toString()), null, Map.of());
    // Unknown keys and bad values are warnings with exit code 0: any output is a failure.
    assertEquals("", output.strip(), "systemd-analyze verify " + unit.getFileName());
  }

  /** Runs a command; returns stdout and stderr together; fails on a non-zero exit. */
  public static String run(List<String> command, Path dir, Map<String, String> env)
      throws IOException {
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    if (dir != null) {
      builder.directory(dir.toFile());
    }
    builder.environment().putAll(env);
    Process process = builder.start();
    process.getOutputStream().close();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    try {
      assertTrue(process.waitFor(2, TimeUnit.MINUTES), command + " finished");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
    assertEquals(0, process.exitValue(), command + " failed: " + output);
    return output;
  }

  private static String below(String name, String top) {
    assertTrue(name.startsWith(top + "/"), name + " is inside " + top + "/");
    return name.substring(top.length() + 1);
  }
}
