package io.failback.controller.store;

/** Carries a {@link Mutation}'s own exception through the store's transaction machinery. */
final class Mutations {

  private Mutations() {}

  /**
   * Applies {@code mutation}, wrapping a checked refusal in {@link Refused} so that it rolls the
   * transaction back without being mistaken for a store failure.
   */
  static <T, E extends Exception> T apply(Mutation<T, E> mutation, T current) {
    try {
      return mutation.apply(current);
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new Refused(e);
    }
  }

  /** A mutation's checked exception on its way out of a transaction. */
  static final class Refused extends RuntimeException {
    Refused(Exception cause) {
      super(cause.getMessage(), cause, false, false);
    }

    /** The mutation's exception; only a {@code Mutation<?, E>} can have thrown it. */
    @SuppressWarnings("unchecked")
    <E extends Exception> E cause() {
      return (E) getCause();
    }
  }
}
