package io.failback.common.testing;

import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumDescriptor;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import com.google.protobuf.UnknownFieldSet;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.function.Function;

/**
 * Random instances of any protobuf message type, built from its descriptor alone: every field
 * may be set, to the values that break servers (huge, Unicode, path traversal, unknown enum
 * numbers, negative and extreme numbers, many repeated items), with unknown fields, and as
 * wire bytes that are then mutated (truncated, flipped, a string that is not UTF-8).
 *
 * <p>For API fuzz tests: pair it with a raw-bytes call so that any request, parseable or not,
 * reaches the server. {@link #withField} feeds domain values (known ids) so that some requests
 * get past validation.
 */
public final class ArbitraryMessages {
  private static final List<String> NASTY = List.of("", " ", "..", "../../../../etc/passwd",
      "..\\..\\Windows\\System32", "/etc/shadow", "C:\\Windows", "\\\\server\\share", "%s%n%x",
      "' OR 1=1 --", "\u0000", "a\nb\r\nc", "\u202e\u200b\ufeff", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 😀",
      "İıK",
      "{00000000-0000-0000-0000-000000000000}", "00000000-0000-0000-0000-000000000000",
      "-1", "99", "NaN", "null", "*", "?", "[a]", "\ud800");

  private final Message prototype;
  private final Map<String, Function<Random, Object>> fields = new HashMap<>();
  private int maxItems = 5;
  private int hugeItems = 20_000;
  private int hugeChars = 1 << 20;

  private ArbitraryMessages(Message prototype) {
    this.prototype = prototype;
  }

  /** Messages of {@code prototype}'s type (any instance of it, e.g. the default one). */
  public static ArbitraryMessages of(Message prototype) {
    return new ArbitraryMessages(prototype);
  }

  /**
   * Half the time, a field named {@code name} (in any message of the tree; an item of it if
   * repeated) takes a value from {@code values} instead of an arbitrary one.
   */
  public ArbitraryMessages withField(String name, List<?> values) {
    fields.put(name, random -> values.get(random.nextInt(values.size())));
    return this;
  }

  /** Most repeated items in a usual message, and in the rare huge one. */
  public ArbitraryMessages repeated(int usual, int huge) {
    this.maxItems = usual;
    this.hugeItems = huge;
    return this;
  }

  /** Length of the rare huge string. */
  public ArbitraryMessages hugeStrings(int chars) {
    this.hugeChars = chars;
    return this;
  }

  /**
   * A message, sometimes carrying unknown fields. A seeded {@code random} repeats it exactly,
   * so a failing case is reproduced from the seed the test reports.
   */
  public Message message(Random random) {
    return new Generator(random).message(prototype.getDescriptorForType(),
        prototype.newBuilderForType(), 0);
  }

  /**
   * Wire bytes: mostly a message's serialization, sometimes mutated so that it no longer
   * parses, or parses to something else.
   */
  public byte[] wire(Random random) {
    byte[] bytes = message(random).toByteArray();
    return random.nextInt(4) == 0 ? mutate(bytes, random) : bytes;
  }

  private static byte[] mutate(byte[] bytes, Random random) {
    switch (random.nextInt(4)) {
      case 0: // truncated
        return bytes.length == 0 ? new byte[] {0x0a} : java.util.Arrays.copyOf(bytes,
            random.nextInt(bytes.length));
      case 1: { // a flipped byte
        if (bytes.length == 0) {
          return new byte[] {(byte) random.nextInt(256)};
        }
        byte[] copy = bytes.clone();
        copy[random.nextInt(copy.length)] ^= (byte) (1 + random.nextInt(255));
        return copy;
      }
      case 2: { // field 1 as a length-delimited string that is not UTF-8
        byte[] bad = {0x0a, 0x02, (byte) 0xc3, 0x28};
        byte[] out = java.util.Arrays.copyOf(bad, bad.length + bytes.length);
        System.arraycopy(bytes, 0, out, bad.length, bytes.length);
        return out;
      }
      default: { // random garbage
        byte[] garbage = new byte[random.nextInt(64)];
        random.nextBytes(garbage);
        return garbage;
      }
    }
  }

  /** One message's worth of choices, from one source of randomness. */
  private final class Generator {
    private final Random random;
    /** Inside a huge repeated field: its items stay small, or one message would be gigabytes. */
    private boolean small;

    Generator(Random random) {
      this.random = random;
    }

    Message message(Descriptor type, Message.Builder builder, int depth) {
      for (FieldDescriptor field : type.getFields()) {
        if (random.nextInt(3) == 0) {
          continue; // left unset
        }
        if (field.isRepeated()) {
          boolean huge = !small && random.nextInt(50) == 0;
          int count = huge ? hugeItems : random.nextInt(maxItems + 1);
          small |= huge;
          for (int i = 0; i < count; i++) {
            Object value = value(field, builder, depth);
            if (value != null) {
              builder.addRepeatedField(field, value);
            }
          }
          small &= !huge;
        } else {
          Object value = value(field, builder, depth);
          if (value != null) {
            builder.setField(field, value);
          }
        }
      }
      if (random.nextInt(10) == 0) {
        builder.setUnknownFields(unknownFields());
      }
      return builder.build();
    }

    private Object value(FieldDescriptor field, Message.Builder parent, int depth) {
      Function<Random, Object> hint = fields.get(field.getName());
      if (hint != null && random.nextBoolean()) {
        return hint.apply(random);
      }
      return switch (field.getJavaType()) {
        case STRING -> string();
        case ENUM -> enumValue(field.getEnumType());
        case INT -> (int) number();
        case LONG -> number();
        case BOOLEAN -> random.nextBoolean();
        case FLOAT -> (float) floating();
        case DOUBLE -> floating();
        case BYTE_STRING -> bytes();
        case MESSAGE -> depth >= 4 ? null : message(field.getMessageType(),
            parent.newBuilderForField(field), depth + 1);
      };
    }

    private String string() {
      int pick = random.nextInt(20);
      if (pick == 0 && !small) {
        return "a".repeat(hugeChars);
      } else if (pick < 6) {
        return NASTY.get(random.nextInt(NASTY.size()));
      } else if (pick < 9) {
        String uuid = UUID.randomUUID().toString();
        return random.nextBoolean() ? uuid : uuid.toUpperCase(java.util.Locale.ROOT);
      } else if (pick < 14) {
        return ascii(random.nextInt(80));
      }
      StringBuilder text = new StringBuilder();
      for (int n = random.nextInt(40); n > 0; n--) {
        int codePoint = random.nextInt(Character.MAX_CODE_POINT + 1);
        if (codePoint >= Character.MIN_SURROGATE && codePoint <= Character.MAX_SURROGATE) {
          continue; // proto strings hold Unicode text; a lone surrogate cannot be encoded
        }
        text.appendCodePoint(codePoint);
      }
      return text.toString();
    }

    private String ascii(int length) {
      StringBuilder text = new StringBuilder(length);
      for (int i = 0; i < length; i++) {
        text.append((char) (0x20 + random.nextInt(0x5f)));
      }
      return text.toString();
    }

    private EnumValueDescriptor enumValue(EnumDescriptor type) {
      if (random.nextInt(3) > 0) {
        List<EnumValueDescriptor> known = type.getValues();
        return known.get(random.nextInt(known.size()));
      }
      int[] odd = {-1, 99, Integer.MAX_VALUE, Integer.MIN_VALUE, type.getValues().size()};
      int number = random.nextBoolean() ? odd[random.nextInt(odd.length)] : random.nextInt();
      return type.findValueByNumberCreatingIfUnknown(number);
    }

    private long number() {
      long[] edges = {0, 1, -1, Integer.MAX_VALUE, Integer.MIN_VALUE, 0xFFFFFFFFL,
          Long.MAX_VALUE, Long.MIN_VALUE, 4096, 65536};
      return random.nextBoolean() ? edges[random.nextInt(edges.length)] : random.nextLong();
    }

    private double floating() {
      double[] edges = {0, -0.0, Double.NaN, Double.POSITIVE_INFINITY,
          Double.NEGATIVE_INFINITY, Double.MIN_VALUE, Double.MAX_VALUE};
      return random.nextBoolean() ? edges[random.nextInt(edges.length)] : random.nextGaussian();
    }

    private ByteString bytes() {
      byte[] data = new byte[random.nextInt(20) == 0 && !small ? 1 << 16 : random.nextInt(64)];
      random.nextBytes(data);
      return ByteString.copyFrom(data);
    }

    private UnknownFieldSet unknownFields() {
      UnknownFieldSet.Builder unknown = UnknownFieldSet.newBuilder();
      for (int n = 1 + random.nextInt(3); n > 0; n--) {
        // Above every field number the API uses; below protobuf's maximum.
        int number = 1000 + random.nextInt((1 << 29) - 1001);
        UnknownFieldSet.Field.Builder field = UnknownFieldSet.Field.newBuilder();
        if (random.nextBoolean()) {
          field.addVarint(random.nextLong());
        } else {
          field.addLengthDelimited(ByteString.copyFrom(ascii(random.nextInt(32)),
              StandardCharsets.UTF_8));
        }
        unknown.addField(number, field.build());
      }
      return unknown.build();
    }
  }
}
