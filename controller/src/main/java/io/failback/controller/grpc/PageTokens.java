package io.failback.controller.grpc;

import io.grpc.Status;
import io.grpc.StatusException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * Opaque page tokens: the sort key of the last item a page held, so that the next page starts
 * after it even if items were added or removed in between.
 */
final class PageTokens {
  /** A page of at most this many bytes always fits the 4 MiB message limit. */
  static final int MAX_PAGE_BYTES = 3 << 20;

  private static final String PREFIX = "failback-page:";

  private PageTokens() {}

  static String encode(String lastKey) {
    return Base64.getUrlEncoder().withoutPadding()
        .encodeToString((PREFIX + lastKey).getBytes(StandardCharsets.UTF_8));
  }

  /** The key in {@code token}; empty for the first page. */
  static String decode(String token) throws StatusException {
    if (token.isEmpty()) {
      return "";
    }
    try {
      String text = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
      if (token.length() <= 1024 && text.startsWith(PREFIX)) {
        return text.substring(PREFIX.length());
      }
    } catch (IllegalArgumentException e) {
      // Falls through to the refusal below.
    }
    throw Status.INVALID_ARGUMENT.withDescription("page_token is not one this controller"
        + " issued; pass next_page_token of the previous page, or nothing").asException();
  }

  /** {@code requested}, or {@code fallback} when 0; INVALID_ARGUMENT above {@code max}. */
  static int pageSize(int requested, int fallback, int max, String field)
      throws StatusException {
    long size = Integer.toUnsignedLong(requested);
    if (size > max) {
      throw Status.INVALID_ARGUMENT.withDescription(field + " " + size + " is over the limit "
          + max).asException();
    }
    return size == 0 ? fallback : (int) size;
  }
}
