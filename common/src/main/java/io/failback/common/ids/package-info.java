/**
 * Value types for the ids and names callers send (operators and agents alike): each parses
 * once at the trust boundary and can then hold only a valid, bounded value.
 */
package io.failback.common.ids;
