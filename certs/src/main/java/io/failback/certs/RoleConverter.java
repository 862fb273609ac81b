package io.failback.certs;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Parses {@code --role controller|agent|operator|operator-readonly|simulator}, ignoring case. */
final class RoleConverter implements ITypeConverter<Role> {
  @Override
  public Role convert(String value) {
    try {
      return Role.fromPathSegment(value);
    } catch (IllegalArgumentException e) {
      throw new TypeConversionException(e.getMessage());
    }
  }
}
