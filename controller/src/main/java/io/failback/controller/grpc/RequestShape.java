package io.failback.controller.grpc;

import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import io.failback.common.text.BoundedText;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The checks every operator request passes before its adapter reads it, whatever its type:
 * no field this controller does not know, no enum number outside the enum, no string longer
 * than {@value #MAX_STRING_CHARS} characters, no repeated field with more than
 * {@value #MAX_REPEATED} items. Field rules of each request follow in {@link OperatorRequests}.
 *
 * <p>Unknown fields are refused rather than ignored: a field a newer CLI sends (a safety option,
 * say) must not be silently dropped by an older controller during a disaster.
 */
public final class RequestShape {
  static final int MAX_STRING_CHARS = 4096;
  /** Also the most VMs one request may name. */
  static final int MAX_REPEATED = 1000;

  private RequestShape() {}

  /** What is wrong with {@code request}'s shape, naming the field; null when nothing is. */
  public static String problem(Object request) {
    return request instanceof Message message ? problem(message, "") : null;
  }

  private static String problem(Message message, String path) {
    if (!message.getUnknownFields().asMap().isEmpty()) {
      String numbers = message.getUnknownFields().asMap().keySet().stream()
          .map(String::valueOf).collect(Collectors.joining(", "));
      return (path.isEmpty() ? message.getDescriptorForType().getName() : path)
          + " carries field number " + BoundedText.description(numbers) + ", which this"
          + " controller does not know; is the client newer than the controller?";
    }
    for (Map.Entry<FieldDescriptor, Object> entry : message.getAllFields().entrySet()) {
      FieldDescriptor field = entry.getKey();
      String name = path.isEmpty() ? field.getName() : path + "." + field.getName();
      String problem = field.isRepeated()
          ? repeated(field, name, (List<?>) entry.getValue())
          : value(field, name, entry.getValue());
      if (problem != null) {
        return problem;
      }
    }
    return null;
  }

  private static String repeated(FieldDescriptor field, String name, List<?> values) {
    if (values.size() > MAX_REPEATED) {
      return name + " has " + values.size() + " items; at most " + MAX_REPEATED + " are"
          + " accepted in one request";
    }
    for (int i = 0; i < values.size(); i++) {
      String problem = value(field, name + "[" + i + "]", values.get(i));
      if (problem != null) {
        return problem;
      }
    }
    return null;
  }

  private static String value(FieldDescriptor field, String name, Object value) {
    switch (field.getJavaType()) {
      case MESSAGE:
        return problem((Message) value, name);
      case ENUM:
        EnumValueDescriptor number = (EnumValueDescriptor) value;
        if (field.getEnumType().findValueByNumber(number.getNumber()) == null) {
          return name + ": " + number.getNumber() + " is not a " + field.getEnumType().getName()
              + " value; use one of " + known(field);
        }
        return null;
      case STRING:
        String text = (String) value;
        return text.length() > MAX_STRING_CHARS ? name + " has " + text.length()
            + " characters; at most " + MAX_STRING_CHARS + " are accepted" : null;
      default:
        return null;
    }
  }

  private static String known(FieldDescriptor field) {
    return field.getEnumType().getValues().stream().map(EnumValueDescriptor::getName)
        .collect(Collectors.joining(", "));
  }
}
