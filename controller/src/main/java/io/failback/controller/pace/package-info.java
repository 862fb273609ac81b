/** What paces untrusted callers: a rate limit per key, on a monotonic time. */
package io.failback.controller.pace;
