package io.failback.controller.agents.boundary;

/**
 * The bounds on what one agent may report, each set from what Hyper-V itself allows, with
 * room to spare: nothing a real host reports comes near them, and anything beyond is refused
 * whole before it is stored (see README, "Limits").
 */
public final class AgentLimits {
  /** A serialized inventory; ListHosts pages by size, so one host always fits a page. */
  public static final int MAX_INVENTORY_BYTES = 1 << 20;

  /** Hyper-V runs at most 1,024 VMs per host. */
  public static final int MAX_VMS = 1024;

  /** 4 SCSI controllers × 64 disks + 4 IDE disks on Hyper-V. */
  public static final int MAX_DISKS_PER_VM = 260;

  /** Hyper-V allows 64 network adapters per VM (Windows Server 2022). */
  public static final int MAX_ADAPTERS_PER_VM = 64;

  /**
   * VM ids one host may own ({@code vm_owners}): those it reports and those it no longer does
   * (deleted or moved off), which it keeps so that no other host takes them over. Beyond, the
   * first claimed of those go, never one a protected item names: a host that reported new ids
   * again and again grew the controller's database without end.
   */
  public static final int MAX_OWNED_VMS = 4 * MAX_VMS;

  public static final int MAX_SWITCHES = 256;

  public static final int MAX_STORAGE_PATHS = 64;

  public static final int MAX_ENCRYPTION_CERTIFICATES = 32;

  public static final int MAX_CERTIFICATE_BYTES = 16 * 1024;

  /** Hyper-V's limit on VM, switch and adapter names. */
  public static final int MAX_NAME_CHARS = 100;

  /**
   * A Secure Boot template's name (MicrosoftUEFICertificateAuthority has 33 characters): it
   * travels back to an agent in a CreateVm, so it is held to letters, digits, '.', '_', '-'.
   */
  public static final int MAX_SECURE_BOOT_TEMPLATE_CHARS = 64;

  /** Windows' long-path limit is 32,767; Hyper-V's own tools stay far below 1,024. */
  public static final int MAX_PATH_CHARS = 1024;

  /** Versions, states, switch types, ids of switches. */
  public static final int MAX_SHORT_TEXT_CHARS = 256;

  /** An inconsistent reason, a command's error, a certificate subject. */
  public static final int MAX_TEXT_CHARS = 4096;

  /** VHDX's own limit: 64 TiB. */
  public static final long MAX_DISK_BYTES = 64L << 40;

  /** Hyper-V: 240 TiB of memory at most; 2,048 virtual processors. */
  public static final long MAX_MEMORY_BYTES = 240L << 40;

  public static final int MAX_PROCESSORS = 2048;

  /** SampleDigests answers: one digest per block asked (at most this many), 32 bytes each. */
  public static final int MAX_DIGEST_BYTES = 64;

  private AgentLimits() {}
}
