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
  private final ConcurrentHashMap<String, ReentrantLock> locks = new ConcurrentHashMap<>();

  ReentrantLock of(String vmId) {
    return locks.computeIfAbsent(vmId.toLowerCase(Locale.ROOT), id -> new ReentrantLock());
  }
}
