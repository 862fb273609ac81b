/**
 * The controller's durable state, kept in one embedded SQLite database file.
 *
 * <p>{@link io.failback.controller.store.ControllerStore} owns the file, its schema version and
 * its only connection; record classes such as {@link io.failback.controller.store.HostRecords}
 * own one table each and run every call as one durable transaction. Rows that later tables
 * (protected items, jobs, watermarks) will reference by foreign key are updated in place, never
 * deleted and re-inserted, so that such references survive a re-registration.
 */
package io.failback.controller.store;
