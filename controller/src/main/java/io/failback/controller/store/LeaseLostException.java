package io.failback.controller.store;

/**
 * This controller's lease on the store was taken over by another controller: nothing this
 * process does may reach the store any more. The process should stop; the new holder goes on
 * with its jobs.
 */
public final class LeaseLostException extends StoreException {
  public LeaseLostException(ControllerStore.Fence held, LeaseRecords.Lease now) {
    super(now == null
        ? "this controller's lease (term " + held.term() + ") is gone from the store; it"
            + " writes nothing more"
        : "this controller lost its lease: term " + held.term() + " was taken over by the"
            + " controller at " + now.address() + " (term " + now.term() + "); it writes"
            + " nothing more");
  }
}
