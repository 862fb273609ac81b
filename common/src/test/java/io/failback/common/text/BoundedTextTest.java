package io.failback.common.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class BoundedTextTest {
  @Test
  void anEchoIsCutAfterSixtyFourCharactersAndSaysHowLongTheInputWas() {
    assertEquals("'abc'", BoundedText.echo("abc"));
    assertEquals("'" + "x".repeat(64) + "'… (1048576 characters)",
        BoundedText.echo("x".repeat(1 << 20)));
    // Two chars, one character: counted as one, never split.
    assertEquals("'" + "😀".repeat(64) + "'… (65 characters)",
        BoundedText.echo("😀".repeat(65)));
  }

  @Test
  void anEchoShowsInvisibleCharactersEscaped() {
    assertEquals("'a\\nb\\u{0000}\\u{202e}\\''", BoundedText.echo("a\nb\u0000\u202e'"));
  }

  @Test
  void printableTextEscapesOnlyWhatIsInvisible() {
    String path = "C:\\VMs\\it's.vhdx 😀 é";
    assertSame(path, BoundedText.printable(path), "an unchanged text is not copied");
    assertEquals("a\\nb\\u{001b}[2J\\u{202e} C:\\x",
        BoundedText.printable("a\nb\u001b[2J\u202e C:\\x"));
    // Cut to the bound after escaping, counting the input; only the kept part is escaped.
    String cut = BoundedText.printable("\u001b".repeat(1 << 20), 100);
    assertEquals(100, cut.length(), cut);
    assertTrue(cut.startsWith("\\u{001b}") && cut.endsWith(" … [truncated, 1048576"
        + " characters in all]"), cut);
    assertEquals("short", BoundedText.printable("short", 100));
  }

  @Test
  void aListShowsTenItemsAndCountsTheRest() {
    List<String> ids = IntStream.range(0, 20_000).mapToObj(i -> "vm-" + i).toList();
    assertEquals("'vm-0', 'vm-1', 'vm-2', 'vm-3', 'vm-4', 'vm-5', 'vm-6', 'vm-7', 'vm-8',"
        + " 'vm-9' … and 19990 more", BoundedText.list(ids));
    assertEquals("'a', 'b'", BoundedText.list(List.of("a", "b")));
  }

  @Test
  void aDescriptionFitsInOneKibibyteAndSaysItWasTruncated() {
    assertEquals("short", BoundedText.description("short"));
    for (String text : List.of("a".repeat(1 << 20), "é".repeat(5000), "😀".repeat(5000))) {
      String bounded = BoundedText.description(text);
      int bytes = bounded.getBytes(StandardCharsets.UTF_8).length;
      assertTrue(bytes <= BoundedText.MAX_DESCRIPTION_BYTES, bytes + " bytes");
      assertTrue(bounded.endsWith(" … [truncated: "
          + text.getBytes(StandardCharsets.UTF_8).length + " bytes in all]"), bounded);
      assertTrue(bytes > BoundedText.MAX_DESCRIPTION_BYTES - 8, "cut too short: " + bytes);
    }
    String exact = "a".repeat(BoundedText.MAX_DESCRIPTION_BYTES);
    assertEquals(exact, BoundedText.description(exact));
  }
}
