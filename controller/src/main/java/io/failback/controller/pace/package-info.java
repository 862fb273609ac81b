/** What paces untrusted callers: the monotonic time their rate limiters read. */
package io.failback.controller.pace;
