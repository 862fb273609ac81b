package io.failback.controller.agents;

import io.failback.common.ids.VmId;
import io.failback.common.text.BoundedText;
import io.failback.controller.store.ControllerStore;
import io.failback.controller.store.HostFenceRecords.Fence;
import io.failback.controller.store.StoreException;
import io.failback.proto.v1.ProtectedItem;
import io.failback.proto.v1.ProtectionState;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import java.util.regex.Pattern;

/**
 * An operator's actions on hosts: fence (refuse its agent now, whatever its certificate),
 * lift a fence, forget a host, move a VM to another host. Each is audited.
 *
 * <p>The fenced set is cached in memory because every agent call consults it; the store stays
 * the truth and is written first.
 */
public final class HostAdmin {
  private static final Logger log = LoggerFactory.getLogger(HostAdmin.class);
  private static final Pattern HOST = Pattern.compile("[a-z0-9]([a-z0-9._-]{0,251}[a-z0-9])?");
  private static final int MAX_REASON_CHARS = 1024;

  private final ControllerStore store;
  private final AgentRegistry registry;
  private final HostCutOff cutOff;
  private final Clock clock;
  private final Set<String> fenced = ConcurrentHashMap.newKeySet();

  public HostAdmin(ControllerStore store, AgentRegistry registry, HostCutOff cutOff,
      Clock clock) throws StoreException {
    this.store = store;
    this.registry = registry;
    this.cutOff = cutOff;
    this.clock = clock;
    store.hostFenceRecords().fences(null).forEach(f -> fenced.add(f.hostName()));
  }

  /** The fence of {@code host}, if an operator fenced it. Cheap: every agent call asks. */
  public Optional<Fence> fenceOf(String host) throws StoreException {
    String name = host.toLowerCase(Locale.ROOT);
    return fenced.contains(name) ? store.hostFenceRecords().fence(name) : Optional.empty();
  }

  /** Fences {@code host}: its agent is refused from now on and its open streams end. */
  public void fence(String host, String reason, Actor actor) throws HostAdminException,
      StoreException {
    String name = checkHost(host);
    checkReason(reason);
    Instant now = clock.instant();
    if (store.hostFenceRecords().fence(name, now, actor.identity(), reason)) {
      audit(now, actor, "host.fence", "host/" + name, "reason: " + reason);
    }
    fenced.add(name);
    String why = "host " + name + " was fenced by " + actor.identity() + ": " + reason;
    cutOff.cut(name, why);
    log.warn(why);
  }

  /** Lifts the fence of {@code host}; its agent may connect again. */
  public void unfence(String host, Actor actor) throws HostAdminException, StoreException {
    String name = checkHost(host);
    if (!store.hostFenceRecords().unfence(name)) {
      throw new HostAdminException(HostAdminException.Kind.FAILED_PRECONDITION,
          "host " + name + " is not fenced");
    }
    fenced.remove(name);
    audit(clock.instant(), actor, "host.unfence", "host/" + name, "");
    log.info("host " + name + " unfenced by " + actor.identity());
  }

  /**
   * Forgets {@code host}: its record, inventory and VM ownership. Refused while a protected
   * item's on-prem VM is on it: fail those back to another host, move them, or disable their
   * protection first. An UNPROTECTED item no job holds does not count: it has nothing in the
   * cloud. Its record stays, with the generation the host's agent has seen.
   */
  public void remove(String host, Actor actor) throws HostAdminException, StoreException {
    String name = checkHost(host);
    List<String> items = store.protectedItemRecords().list().stream()
        .filter(item -> item.getOnPremHost().equalsIgnoreCase(name))
        .filter(item -> item.getState() != ProtectionState.UNPROTECTED
            || !item.getActiveJobId().isEmpty())
        .map(ProtectedItem::getVmId).toList();
    if (!items.isEmpty()) {
      throw new HostAdminException(HostAdminException.Kind.FAILED_PRECONDITION,
          "host " + name + " holds the on-prem VMs of protected items "
          + BoundedText.list(items) + "; move those VMs, fail them back to another host or"
          + " run DisableProtection first (or fence the host to keep its agent out)");
    }
    if (!store.hostRecords().forget(name)) {
      throw new HostAdminException(HostAdminException.Kind.NOT_FOUND,
          "no host named " + name + " is known");
    }
    cutOff.cut(name, "host " + name + " was removed by " + actor.identity());
    audit(clock.instant(), actor, "host.remove", "host/" + name, "");
    log.warn("host " + name + " removed by " + actor.identity());
  }

  /**
   * Makes {@code toHost} the owner of {@code vmId} (a live migration on-prem): the VM must be
   * in that host's report, and a protected item of it, idle, follows it.
   */
  public void moveVm(String vmId, String toHost, String reason, Actor actor)
      throws HostAdminException, StoreException {
    if (!VmId.isValid(vmId)) {
      throw new HostAdminException(HostAdminException.Kind.INVALID,
          "vm_id " + VmId.problem(vmId));
    }
    String id = VmId.parse(vmId).value();
    String name = checkHost(toHost);
    checkReason(reason);
    Optional<String> owner = store.vmOwnerRecords().owner(id);
    if (owner.isEmpty()) {
      throw new HostAdminException(HostAdminException.Kind.NOT_FOUND,
          "no host reports a VM with id " + id);
    }
    if (owner.get().equals(name)) {
      throw new HostAdminException(HostAdminException.Kind.FAILED_PRECONDITION,
          "host " + name + " already owns VM " + id);
    }
    boolean reported = store.vmOwnerRecords().conflicts(name).stream()
        .anyMatch(c -> c.vmId().equals(id));
    if (!reported) {
      throw new HostAdminException(HostAdminException.Kind.FAILED_PRECONDITION,
          "host " + name + " does not report VM " + id + "; a VM moves only to the host it"
          + " now runs on");
    }
    Optional<ProtectedItem> item = store.protectedItemRecords().get(id);
    if (item.isPresent() && !item.get().getActiveJobId().isEmpty()) {
      throw new HostAdminException(HostAdminException.Kind.FAILED_PRECONDITION,
          "protected item " + id + " is in job " + item.get().getActiveJobId()
          + "; wait for it or cancel it first");
    }
    if (item.isPresent() && !item.get().getOnPremVmId().isEmpty()) {
      throw new HostAdminException(HostAdminException.Kind.FAILED_PRECONDITION,
          "VM " + id + " is not the on-prem VM of its protected item any more");
    }
    Instant now = clock.instant();
    if (item.isPresent()) {
      // Checked again inside the transaction: a job may have started since.
      store.protectedItemRecords().update(id, now, current -> {
        if (!current.getActiveJobId().isEmpty()) {
          throw new HostAdminException(HostAdminException.Kind.FAILED_PRECONDITION,
              "protected item " + id + " is in job " + current.getActiveJobId());
        }
        return current.toBuilder().setOnPremHost(name).build();
      });
    }
    store.vmOwnerRecords().move(id, name, now);
    audit(now, actor, "vm.move", "vm/" + id, "from host " + owner.get() + " to host " + name
        + (item.isPresent() ? " (protected item follows)" : "") + "; reason: " + reason);
    log.warn("VM " + id + " moved from host " + owner.get() + " to " + name + " by "
        + actor.identity());
    registry.refreshInventory(name);
    registry.refreshInventory(owner.get());
  }

  /** A host name as operators type it: DNS or NetBIOS characters, any case. */
  static String checkHost(String host) throws HostAdminException {
    String name = host.toLowerCase(Locale.ROOT);
    if (!HOST.matcher(name).matches()) {
      throw new HostAdminException(HostAdminException.Kind.INVALID, "host_name "
          + BoundedText.quote(host) + " is not a host name (letters, digits, '.', '-', '_';"
          + " at most 253 characters)");
    }
    return name;
  }

  private static void checkReason(String reason) throws HostAdminException {
    if (reason.isBlank() || reason.length() > MAX_REASON_CHARS
        || reason.codePoints().anyMatch(Character::isISOControl)) {
      throw new HostAdminException(HostAdminException.Kind.INVALID, "reason must be 1 to "
          + MAX_REASON_CHARS + " printable characters: the audit trail records why");
    }
  }

  private void audit(Instant at, Actor actor, String action, String target, String detail)
      throws StoreException {
    store.auditRecords().append(at, actor.identity(), actor.fingerprint(), action, target,
        detail);
  }
}
