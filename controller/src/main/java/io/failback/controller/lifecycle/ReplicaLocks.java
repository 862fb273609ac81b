package io.failback.controller.lifecycle;

import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One lock per protected item, held by whatever writes its cloud replica from the on-prem
 * disks: a periodic delta cycle or a job's replication (the final delta of a failover). Two at
 * once could land a block the first read before the source stopped after the second compared
 * it, and the cloud VM would start from a stale block.
 */
final class ReplicaLocks {
  private final ConcurrentHashMap<String, ReplicaLock> locks = new ConcurrentHashMap<>();

  ReplicaLock of(String vmId) {
    return locks.computeIfAbsent(vmId.toLowerCase(Locale.ROOT), id -> new ReplicaLock());
  }

  /** A replica's lock, which can say which thread holds it. */
  static final class ReplicaLock extends ReentrantLock {
    /** The thread that holds the lock now, if one does. */
    java.util.Optional<Thread> holder() {
      return java.util.Optional.ofNullable(getOwner());
    }
  }
}
