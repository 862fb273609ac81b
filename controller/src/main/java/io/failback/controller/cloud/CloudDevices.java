package io.failback.controller.cloud;

/**
 * What a cloud VM's disks and network adapters appear as to its guest. The guest needs a driver
 * for its boot disk's controller before it boots, or it never finds that disk (Windows stops
 * with INACCESSIBLE_BOOT_DEVICE); a Hyper-V guest has drivers for Hyper-V's devices only, plus
 * what its OS brings.
 */
public enum CloudDevices {
  /**
   * Paravirtual: virtio-blk disks and virtio-net adapters, the fastest. Every Linux kernel has
   * their drivers; Windows has them only once the virtio-win drivers are installed.
   */
  VIRTIO,
  /**
   * Emulated: SATA (AHCI) disks and Intel e1000e adapters, slower, but their drivers come with
   * Windows and Linux alike: what a guest never prepared for this cloud boots with.
   */
  EMULATED
}
