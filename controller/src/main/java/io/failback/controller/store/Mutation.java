package io.failback.controller.store;

/**
 * A change to one stored record, computed inside the transaction that writes it, so that the
 * check of the current value and the write of the next one are atomic.
 *
 * @param <T> the record's value
 * @param <E> what the change throws to refuse; the transaction is then rolled back
 */
@FunctionalInterface
public interface Mutation<T, E extends Exception> {

  /** Returns the next value, or {@code current} itself to leave the record untouched. */
  T apply(T current) throws E;
}
