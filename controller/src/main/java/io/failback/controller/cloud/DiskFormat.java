package io.failback.controller.cloud;

/** How a cloud disk is stored. */
public enum DiskFormat {
  /** A dynamic VHDX (the Hyper-V format) with 32 MiB blocks. */
  VHDX,
  /** A sparse raw image. */
  RAW,
  /** A qcow2 image (the KVM cloud's: persistent dirty bitmaps live in it). */
  QCOW2
}
