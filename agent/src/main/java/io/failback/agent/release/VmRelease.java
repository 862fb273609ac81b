package io.failback.agent.release;

import io.failback.agent.hyperv.state.GuardedHypervisor;
import io.failback.agent.hyperv.state.OpenSessions;
import io.failback.agent.hyperv.state.ParkedReadPoints;
import io.failback.common.sync.DigestSets;
import io.failback.proto.v1.ReleaseReport;
import io.failback.proto.v1.ReleaseVm;
import java.io.IOException;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The controller's ReleaseVm: removes what this agent keeps to replicate a VM whose protection
 * ended, and nothing else. The VM's generation record stays, so that a controller that lost
 * track of the VM is still refused.
 */
public final class VmRelease {
  private static final Logger log = LoggerFactory.getLogger(VmRelease.class);

  private final GuardedHypervisor driver;
  private final DigestSets digestSets;
  private final ParkedReadPoints parked;

  public VmRelease(GuardedHypervisor driver, DigestSets digestSets, ParkedReadPoints parked) {
    this.driver = driver;
    this.digestSets = digestSets;
    this.parked = parked;
  }

  /**
   * Discards the VM's read points (kept by a crash or parked for a continued session), destroys
   * the reference points this agent made of it and deletes the named digest sets; returns what
   * was there to remove, so a second release reports zeros.
   *
   * @throws IOException before anything is removed when the generation is older than one seen,
   *     the VM id or a digest set name is not valid, or a sync session of the VM is open; after
   *     some was removed when the host failed, naming the step (a retry removes the rest)
   */
  public ReleaseReport release(ReleaseVm command) throws IOException {
    String vmId = command.getVmId();
    driver.generations().admit(vmId, command.getGeneration());
    for (String name : command.getDigestSetsList()) {
      if (!DigestSets.isValidName(name)) {
        throw new IOException("digest set '" + name + "' is not a valid name; nothing of VM "
            + vmId + " was released");
      }
    }
    OpenSessions.Handle releasing = driver.sessions().release(vmId);
    try {
      // Read points first: ending one may keep it as a reference point, destroyed next.
      int readPoints = discardReadPoints(vmId);
      int referencePoints = driver.destroyReferencePoints(vmId);
      int sets = 0;
      for (String name : command.getDigestSetsList()) {
        sets += digestSets.delete(name) ? 1 : 0;
      }
      log.info("VM " + vmId + " released: " + readPoints + " read point(s) discarded, "
          + referencePoints + " reference point(s) destroyed, " + sets + " digest set(s)"
          + " deleted");
      return ReleaseReport.newBuilder().setReadPointsDiscarded(readPoints)
          .setReferencePointsDestroyed(referencePoints).setDigestSetsDeleted(sets).build();
    } finally {
      releasing.close();
    }
  }

  /**
   * Ends the read points parked for the VM, then discards the one still recorded for it (a
   * crash's, or a parked one whose discard failed: tried again, now failing loudly); each read
   * point counts once.
   */
  private int discardReadPoints(String vmId) throws IOException {
    Set<String> ended = parked.endAll(vmId);
    Optional<String> leftOver = driver.readPoints().discardLeftOver(vmId);
    return ended.size() + (leftOver.isPresent() && !ended.contains(leftOver.get()) ? 1 : 0);
  }
}
